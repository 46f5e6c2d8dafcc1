import { useEffect, useState } from 'preact/hooks';
import { AddFiles } from './AddFiles/index.tsx';
import { DeviceBanner } from './DeviceBanner/index.tsx';
import { useDevice } from './deviceState.ts';
import { ForegroundOnly } from './ForegroundOnly/index.tsx';
import { KeepSafe } from './KeepSafe/index.tsx';
import { LinkPanel } from './LinkPanel/index.tsx';
import { useLinkSettings } from './linkSettingsState.ts';
import { QueueList } from './QueueList/index.tsx';
import { useQueue } from './queueState.ts';
import type { Settings as SettingsScreen } from './Settings/index.tsx';
import { registerWorker } from './swBridge.ts';
import { UpdateBanner } from './UpdateBanner/index.tsx';
import { useView } from './view.ts';

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

/** The Settings screen's code, fetched the first time it is opened (precached for offline use). */
function useSettingsScreen(wanted: boolean): typeof SettingsScreen | null {
  const [screen, setScreen] = useState<typeof SettingsScreen | null>(null);
  useEffect(() => {
    if (wanted && !screen) void import('./Settings/index.tsx').then((m) => setScreen(() => m.Settings));
  }, [wanted, screen]);
  return screen;
}

/** The whole app: the uploads (add files, watch them go ashore) and, one tap away, Settings. */
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
  const [view, open] = useView();
  const Settings = useSettingsScreen(view === 'settings');

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
        <div class="brand">
          <h1>Tender</h1>
          {device.name && <span class="device-name">{device.name}</span>}
        </div>
        <span class={`link ${online ? 'up' : 'down'}`} role="status">
          {online ? (queue.running ? 'Uploading' : 'Online') : 'Offline'}
        </span>
        <button
          type="button"
          class="secondary view-switch"
          onClick={() => open(view === 'settings' ? 'uploads' : 'settings')}
        >
          {view === 'settings' ? 'Back to uploads' : 'Settings'}
        </button>
      </header>
      {applyUpdate && <UpdateBanner onApply={applyUpdate} />}
      {view === 'settings' ? (
        Settings ? (
          <Settings device={device} storage={queue.storage} />
        ) : (
          <p role="status">Opening Settings…</p>
        )
      ) : (
        <>
          <DeviceBanner device={device} />
          {shareNotice && <p role="status">{shareNotice}</p>}
          <ForegroundOnly
            pending={queue.items.filter((i) => i.status === 'waiting' || i.status === 'uploading').length}
          />
          <LinkPanel link={queue.link} use={use} />
          <AddFiles items={queue.items} />
          <KeepSafe items={queue.items} storage={queue.storage} online={online} />
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
        </>
      )}
    </main>
  );
}
