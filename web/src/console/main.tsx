import { Layout } from '../shared/layout';
import { mount } from '../shared/mount';

mount(
  <Layout current="/dashboard">
    <h1>Console</h1>
  </Layout>,
);
