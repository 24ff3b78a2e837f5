// The live job feed: the public LiveJobFeed subscription over graphql-ws, with the connection's
// state for the page to show. The overview is public, so it subscribes anonymously (a stale console
// session must not cut the public feed), and the shared client does not report reconnects.
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import { LiveJobFeedDocument, type LiveJobFeedSubscription } from '../../../schema/generated/graphql';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'failed';

export type LiveJob = LiveJobFeedSubscription['jobFeed'];

/**
 * Subscribes to every finished job; returns the function that closes the connection. `onReconnected`
 * runs when a dropped connection is back, so that the page can fill in the jobs it missed meanwhile.
 */
export function watchJobs(
  onJob: (job: LiveJob) => void,
  onStatus: (status: LiveStatus, message?: string) => void,
  onReconnected?: () => void,
): () => void {
  let connectedOnce = false;
  let closed = false;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const client = createClient({
    url: `${scheme}://${location.host}/graphql`,
    lazy: false,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    on: {
      connecting: () => !closed && onStatus(connectedOnce ? 'reconnecting' : 'connecting'),
      connected: () => {
        const reconnected = connectedOnce;
        connectedOnce = true;
        if (closed) return;
        onStatus('live');
        if (reconnected) onReconnected?.();
      },
      closed: () => !closed && onStatus('reconnecting'),
    },
  });
  const unsubscribe = client.subscribe<LiveJobFeedSubscription>(
    { query: print(LiveJobFeedDocument), variables: {} },
    {
      next: (result) => {
        if (result.errors?.length) onStatus('failed', result.errors[0].message);
        else if (result.data) onJob(result.data.jobFeed);
      },
      error: (error) => !closed && onStatus('failed', error instanceof Error ? error.message : 'The live connection closed'),
      complete: () => undefined,
    },
  );
  return () => {
    closed = true;
    unsubscribe();
    void client.dispose();
  };
}
