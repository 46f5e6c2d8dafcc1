import { useEffect, useState } from 'preact/hooks';
import { AddFiles } from './AddFiles/index.tsx';
import { DeviceBanner } from './DeviceBanner/index.tsx';
import { useDevice } from './deviceState.ts';
import { ForegroundOnly } from './ForegroundOnly/index.tsx';
import { LinkPanel } from './LinkPanel/index.tsx';
import { LinkSettingsForm } from './LinkSettings/index.tsx';
import { useLinkSettings } from './linkSettingsState.ts';
import { NotifyAshore } from './NotifyAshore/index.tsx';
import { QueueList } from './QueueList/index.tsx';
import { useQueue } from './queueState.ts';
import { registerWorker } from './swBridge.ts';
import { UpdateBanner } from './UpdateBanner/index.tsx';

/** The message for files that arrived through the share sheet, once; tidies the address bar. */
function takeShareNotice(): string | null {
  const params = new URLSearchParams(window.location.search);
  const shared = params.get('shared');
  const failed = params.get('share-failed');
  if (shared === null && failed === null) return null;
  window.history.replaceState(null, '', '/');
  if (failed) return 'The shared files could not be stored on this device. Try adding them with Add files.';
  const n = Number(shared);
  return `${n} shared file${n === 1 ? '' : 's'} added to the queue.`;
}

/** The whole page: add files, watch them go ashore. */
export function App() {
  const queue = useQueue();
  const device = useDevice();
  const linkSettings = useLinkSettings();
  const use = linkSettings.settings && {
    ...linkSettings.spend,
    dailyBudgetBytes: linkSettings.settings.dailyBudgetBytes,
    monthlyBudgetBytes: linkSettings.settings.monthlyBudgetBytes,
  };
  const [applyUpdate, setApplyUpdate] = useState<(() => void) | null>(null);
  const [online, setOnline] = useState(navigator.onLine);
  const [shareNotice] = useState(takeShareNotice);

  useEffect(() => {
    registerWorker((apply) => setApplyUpdate(() => apply));
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);

  return (
    <main>
      <header>
        <h1>Tender</h1>
        {device.name && <span class="device-name">{device.name}</span>}
        <span class={`link ${online ? 'up' : 'down'}`} role="status">
          {online ? (queue.running ? 'Uploading' : 'Online') : 'Offline'}
        </span>
      </header>
      {applyUpdate && <UpdateBanner onApply={applyUpdate} />}
      <DeviceBanner device={device} />
      {shareNotice && <p role="status">{shareNotice}</p>}
      <ForegroundOnly
        pending={queue.items.filter((i) => i.status === 'waiting' || i.status === 'uploading').length}
      />
      <LinkPanel link={queue.link} use={use} />
      <AddFiles items={queue.items} />
      <QueueList
        items={queue.items}
        live={queue.live}
        storageFull={queue.storageFull}
        checking={queue.checking}
        loaded={queue.loaded}
        online={online}
        running={queue.running}
        link={queue.link}
        storage={queue.storage}
      />
      <NotifyAshore />
      <details class="link-budget">
        <summary>Link and data budget</summary>
        <LinkSettingsForm />
      </details>
    </main>
  );
}
