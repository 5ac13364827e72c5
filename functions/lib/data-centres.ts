/**
 * Zoho data centres: the one table of accounts servers, API domains and API consoles. A Self
 * Client, its grant codes and its tokens all belong to one data centre.
 */
export interface DataCentre {
  readonly id: DataCentreId;
  readonly label: string;
  /** Where grant codes are exchanged and access tokens refreshed. */
  readonly accountsUrl: string;
  /** The usual `api_domain` Zoho returns for this data centre. */
  readonly apiDomain: string;
  /** Where a person creates the Self Client and generates grant codes. */
  readonly apiConsoleUrl: string;
}

export const DATA_CENTRE_IDS = ['us', 'eu', 'in', 'au', 'jp', 'ca', 'sa', 'uk', 'cn', 'ae'] as const;
export type DataCentreId = (typeof DATA_CENTRE_IDS)[number];

export const DATA_CENTRES: Readonly<Record<DataCentreId, DataCentre>> = {
  us: dc('us', 'United States', 'accounts.zoho.com', 'www.zohoapis.com', 'api-console.zoho.com'),
  eu: dc('eu', 'Europe', 'accounts.zoho.eu', 'www.zohoapis.eu', 'api-console.zoho.eu'),
  in: dc('in', 'India', 'accounts.zoho.in', 'www.zohoapis.in', 'api-console.zoho.in'),
  au: dc('au', 'Australia', 'accounts.zoho.com.au', 'www.zohoapis.com.au', 'api-console.zoho.com.au'),
  jp: dc('jp', 'Japan', 'accounts.zoho.jp', 'www.zohoapis.jp', 'api-console.zoho.jp'),
  ca: dc('ca', 'Canada', 'accounts.zohocloud.ca', 'www.zohoapis.ca', 'api-console.zohocloud.ca'),
  sa: dc('sa', 'Saudi Arabia', 'accounts.zoho.sa', 'www.zohoapis.sa', 'api-console.zoho.sa'),
  uk: dc('uk', 'United Kingdom', 'accounts.zoho.uk', 'www.zohoapis.uk', 'api-console.zoho.uk'),
  cn: dc('cn', 'China', 'accounts.zoho.com.cn', 'www.zohoapis.com.cn', 'api-console.zoho.com.cn'),
  ae: dc('ae', 'United Arab Emirates', 'accounts.zoho.ae', 'www.zohoapis.ae', 'api-console.zoho.ae'),
};

function dc(id: DataCentreId, label: string, accounts: string, api: string, console: string): DataCentre {
  return {
    id,
    label,
    accountsUrl: `https://${accounts}`,
    apiDomain: `https://${api}`,
    apiConsoleUrl: `https://${console}`,
  };
}

export function isDataCentreId(value: string): value is DataCentreId {
  return (DATA_CENTRE_IDS as readonly string[]).includes(value);
}

/** The data centre whose accounts server this is, if it is one of Zoho's. */
export function dataCentreOfAccountsUrl(accountsUrl: string): DataCentre | undefined {
  const origin = safeOrigin(accountsUrl);
  return Object.values(DATA_CENTRES).find((candidate) => candidate.accountsUrl === origin);
}

/** True for the API domain of one of Zoho's data centres, such as https://www.zohoapis.eu. */
export function isDataCentreApiDomain(origin: string): boolean {
  return Object.values(DATA_CENTRES).some((candidate) => candidate.apiDomain === origin);
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
