import { dataCentreOfAccountsUrl } from '../../functions/lib/data-centres.js';

const MINUTE_MS = 60_000;

/** Label/value lines with the values aligned. Undefined values are left out. */
export function fieldLines(rows: ReadonlyArray<readonly [string, string | undefined]>): string[] {
  const shown = rows.filter((row): row is readonly [string, string] => row[1] !== undefined);
  const width = Math.max(0, ...shown.map(([label]) => label.length)) + 1;
  return shown.map(([label, value]) => `  ${`${label}:`.padEnd(width + 1)}${value}`);
}

/** Whole minutes from now until `time`; negative when it has passed. */
export function minutesUntil(time: string, now: Date): number {
  return Math.round((Date.parse(time) - now.getTime()) / MINUTE_MS);
}

/** "in 60 minutes", "in 1 minute", "now", "expired 5 minutes ago". */
export function describeExpiry(expiresAt: string, now: Date): string {
  const minutes = minutesUntil(expiresAt, now);
  if (minutes > 0) return `in ${plural(minutes, 'minute')}`;
  if (minutes === 0) return Date.parse(expiresAt) > now.getTime() ? 'in less than a minute' : 'now';
  return `expired ${plural(-minutes, 'minute')} ago`;
}

/** "5 minutes ago", "in 3 minutes". */
export function describeAge(time: string, now: Date): string {
  const minutes = minutesUntil(time, now);
  if (minutes === 0) return 'just now';
  return minutes < 0 ? `${plural(-minutes, 'minute')} ago` : `in ${plural(minutes, 'minute')}`;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** "Europe (https://accounts.zoho.eu)", or the bare server for a non-Zoho (test) accounts server. */
export function describeDataCentre(accountsUrl: string | undefined): string | undefined {
  if (accountsUrl === undefined) return undefined;
  const dataCentre = dataCentreOfAccountsUrl(accountsUrl);
  return dataCentre
    ? `${dataCentre.label} (${dataCentre.accountsUrl})`
    : `custom accounts server ${accountsUrl}`;
}

/** The API Console of the data centre (where grant codes and the client secret are), for "in ...". */
export function apiConsole(accountsUrl: string | undefined): string {
  const dataCentre = accountsUrl === undefined ? undefined : dataCentreOfAccountsUrl(accountsUrl);
  return dataCentre
    ? `the API Console of the ${dataCentre.label} data centre, ${dataCentre.apiConsoleUrl}`
    : 'the Zoho API Console of your data centre (e.g. https://api-console.zoho.eu)';
}

/** `connection "crm-eu" (region eu-west-1)`. */
export function describeTarget(
  target: { readonly connectionName: string },
  region: string | undefined,
): string {
  return `connection "${target.connectionName}" (region ${region ?? 'not set'})`;
}
