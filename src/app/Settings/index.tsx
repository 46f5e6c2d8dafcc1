import type { DeviceState } from '../deviceState.ts';
import { LinkSettingsForm } from '../LinkSettings/index.tsx';
import { NotifyAshore } from '../NotifyAshore/index.tsx';
import type { StorageState } from '../storageState.ts';
import { DefaultTags } from './DefaultTags.tsx';
import { DeviceSection } from './DeviceSection.tsx';
import { StorageSection } from './StorageSection.tsx';

/**
 * The Settings screen: this device's sign-in, the link and data budget, tags for new files,
 * notifications and storage. Loaded only when opened, so the uploads screen starts lighter.
 */
export function Settings(props: { device: DeviceState; storage: StorageState | null }) {
  return (
    <div class="settings">
      <DeviceSection device={props.device} />
      <section class="settings-section" aria-labelledby="settings-link">
        <h2 id="settings-link">Link and data budget</h2>
        <LinkSettingsForm />
      </section>
      <DefaultTags />
      <section class="settings-section" aria-labelledby="settings-notify">
        <h2 id="settings-notify">Notifications</h2>
        <NotifyAshore />
      </section>
      <StorageSection storage={props.storage} />
    </div>
  );
}
