import { CHANNEL_NAME, type WorkerMessage } from '../shared/messages.ts';

const channel = new BroadcastChannel(CHANNEL_NAME);

/** Tells every open page something changed. */
export function announce(message: WorkerMessage): void {
  channel.postMessage(message);
}
