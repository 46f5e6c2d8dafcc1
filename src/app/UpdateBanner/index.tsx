/** Offers a new version of the app; the old one keeps uploading until the user accepts. */
export function UpdateBanner({ onApply }: { onApply: () => void }) {
  return (
    <div class="update-banner" role="status">
      <span>Update available</span>
      <button type="button" onClick={onApply}>
        Reload
      </button>
    </div>
  );
}
