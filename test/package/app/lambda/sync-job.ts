import { ZohoTokenReader, type ZohoTokenReaderOptions } from 'zoho-token-keeper/consumer';

const options: ZohoTokenReaderOptions = { expiryMarginMs: 5 * 60_000 };
const zoho = new ZohoTokenReader(options);

export const handler = async (): Promise<unknown> => {
  const response = await zoho.fetch('/crm/v8/Leads?fields=Last_Name&per_page=1');
  return response.json();
};
