import { useState } from 'preact/hooks';

const permissionNow = (): NotificationPermission | null =>
  typeof Notification === 'undefined' ? null : Notification.permission;

/** Asks, when the crew wants it, to be told by a notification when files have reached shore. */
export function NotifyAshore() {
  const [permission, setPermission] = useState(permissionNow);
  if (permission === null) return <p class="note">This browser cannot show notifications from Tender.</p>;
  if (permission === 'granted') {
    return (
      <p class="note">You will get a notification when a batch has reached shore, even with Tender closed.</p>
    );
  }
  if (permission === 'denied') {
    return (
      <p class="note">
        Notifications are blocked for Tender. To be told when files reach shore, allow them in the browser’s
        settings for this site.
      </p>
    );
  }
  return (
    <button
      type="button"
      class="secondary"
      onClick={() =>
        void Notification.requestPermission().then(setPermission, () => setPermission(permissionNow()))
      }
    >
      Tell me when files reach shore
    </button>
  );
}
