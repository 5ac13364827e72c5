import { ZohoTokenReader } from 'zoho-token-keeper/consumer';

const zoho = new ZohoTokenReader();

export const handler = async (): Promise<unknown> => {
  const response = await zoho.fetch('/crm/v8/Leads?fields=Last_Name&per_page=1');
  return response.json();
};
