import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { LinkSettings, SettingsErrors, SettingsField } from '../../shared/linkSettings.ts';
import { costOf, formatMoney } from '../../shared/spendLedger.ts';
import { formatBytes } from '../format.ts';
import { useLinkSettings } from '../linkSettingsState.ts';
import { formOf, type LinkForm, sameSettings, saveLinkForm, UNITS, type Unit } from './form.ts';

/** A labelled text field with an optional unit control beside it and its error below. */
function Field(props: {
  id: string;
  label: string;
  value: string;
  error: string | undefined;
  hint?: string;
  decimal?: boolean;
  onInput: (value: string) => void;
  children?: ComponentChildren;
}) {
  const { id, error, hint } = props;
  const described = [error && `${id}-error`, hint && `${id}-hint`].filter(Boolean).join(' ');
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <div class="field-row">
        <input
          id={id}
          type="text"
          inputMode={props.decimal ? 'decimal' : undefined}
          value={props.value}
          aria-invalid={error ? true : undefined}
          aria-describedby={described || undefined}
          onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)}
        />
        {props.children}
      </div>
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} class="error">
          {error}
        </p>
      )}
    </div>
  );
}

/** MB or GB for a budget. */
function UnitSelect(props: { label: string; value: Unit; onChange: (unit: Unit) => void }) {
  return (
    <select
      aria-label={props.label}
      value={props.value}
      onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value as Unit)}
    >
      {Object.keys(UNITS).map((u) => (
        <option key={u} value={u}>
          {u}
        </option>
      ))}
    </select>
  );
}

/** Bytes and, when a price is set, money spent today and this month. */
function SpendLine({ settings, today, month }: { settings: LinkSettings; today: number; month: number }) {
  const money = (bytes: number) =>
    settings.pricePerGB > 0
      ? ` (${formatMoney(costOf(bytes, settings.pricePerGB, settings.currency), settings.currency)})`
      : '';
  return (
    <p class="spend" role="status">
      Sent on the link today: {formatBytes(today)}
      {money(today)} · this month: {formatBytes(month)}
      {money(month)}
    </p>
  );
}

/** Budgets, price, bandwidth cap and metered-link rules for the uploader, and what was spent. */
export function LinkSettingsForm() {
  const { settings, applied, spend } = useLinkSettings();
  const [form, setForm] = useState<LinkForm | null>(null);
  const [errors, setErrors] = useState<SettingsErrors>({});
  const [saved, setSaved] = useState<LinkSettings | null>(null);
  useEffect(() => {
    if (settings && !form) setForm(formOf(settings));
  }, [settings, form]);
  if (!settings || !form) return null;

  const set = (patch: Partial<LinkForm>) => setForm({ ...form, ...patch });
  const error = (field: SettingsField) => errors[field];
  const submit = async (event: Event) => {
    event.preventDefault();
    const result = await saveLinkForm(form);
    if ('errors' in result) {
      setErrors(result.errors);
      setSaved(null);
      return;
    }
    setErrors({});
    setSaved(result.saved);
    setForm(formOf(result.saved));
  };
  const invalid = Object.keys(errors).length > 0;
  const inUse = saved && applied && sameSettings(saved, applied);

  return (
    <form class="link-settings" onSubmit={submit} noValidate>
      <SpendLine settings={settings} today={spend.todayBytes} month={spend.monthBytes} />
      <Field
        id="ls-daily"
        label="Daily budget"
        hint="Leave empty for no daily budget."
        value={form.daily}
        decimal
        error={error('dailyBudgetBytes')}
        onInput={(daily) => set({ daily })}
      >
        <UnitSelect
          label="Daily budget unit"
          value={form.dailyUnit}
          onChange={(dailyUnit) => set({ dailyUnit })}
        />
      </Field>
      <Field
        id="ls-monthly"
        label="Monthly budget"
        hint="Leave empty for no monthly budget."
        value={form.monthly}
        decimal
        error={error('monthlyBudgetBytes')}
        onInput={(monthly) => set({ monthly })}
      >
        <UnitSelect
          label="Monthly budget unit"
          value={form.monthlyUnit}
          onChange={(monthlyUnit) => set({ monthlyUnit })}
        />
      </Field>
      <Field
        id="ls-price"
        label="Price per GB"
        value={form.price}
        decimal
        error={error('pricePerGB')}
        onInput={(price) => set({ price })}
      />
      <Field
        id="ls-currency"
        label="Currency"
        value={form.currency}
        error={error('currency')}
        onInput={(currency) => set({ currency })}
      />
      <Field
        id="ls-cap"
        label="Bandwidth cap (kbit/s)"
        hint="Leave empty for no cap."
        value={form.cap}
        decimal
        error={error('capKbps')}
        onInput={(cap) => set({ cap })}
      />
      <label class="check">
        <input
          type="checkbox"
          checked={form.metered}
          onChange={(e) => set({ metered: (e.currentTarget as HTMLInputElement).checked })}
        />
        This link is metered
      </label>
      <Field
        id="ls-metered-max"
        label="Largest file to send on a metered link (MB)"
        hint="Larger files also wait while the device’s data saver is on."
        value={form.meteredMax}
        decimal
        error={error('meteredMaxBytes')}
        onInput={(meteredMax) => set({ meteredMax })}
      />
      <label class="check">
        <input
          type="checkbox"
          checked={form.allowCritical}
          onChange={(e) => set({ allowCritical: (e.currentTarget as HTMLInputElement).checked })}
        />
        Let priority 9–10 files go over budget
      </label>
      <Field
        id="ls-zone"
        label="Time zone for budget days"
        value={form.timeZone}
        error={error('timeZone')}
        onInput={(timeZone) => set({ timeZone })}
      />
      <button type="submit">Save link settings</button>
      {invalid && (
        <p class="error" role="alert">
          Not saved: correct the fields marked above.
        </p>
      )}
      {saved && (
        <p role="status">
          {inUse ? 'Saved. The uploader is using these settings.' : 'Saved. Passing them to the uploader…'}
        </p>
      )}
    </form>
  );
}
