import { Layout } from '../shared/layout';
import { mount } from '../shared/mount';

mount(
  <Layout current="/">
    <h1>Network overview</h1>
  </Layout>,
);
