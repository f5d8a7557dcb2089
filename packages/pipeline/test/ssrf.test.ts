import { describe, expect, it } from 'vitest';
import { type LookupAll, checkCallbackUrl, parseCallbackUrl, resolveNotifyOptions } from '../src/index.ts';

/** A DNS that answers from a table: the way to test names resolving privately without a network. */
function dns(table: Record<string, Array<{ address: string; family: number }>>): LookupAll {
  return async (host) => {
    const answer = table[host];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answer;
  };
}

const noDns: LookupAll = async (host) => {
  throw new Error(`no DNS query expected, got one for ${host}`);
};

describe('checkCallbackUrl refuses SSRF targets', () => {
  const table: Array<[string, RegExp]> = [
    ['http://127.0.0.1/', /loopback/],
    ['http://localhost/', /local or cloud metadata name/],
    ['http://localhost./', /local or cloud metadata name/],
    ['http://LOCALHOST:8080/', /local or cloud metadata name/],
    ['http://api.localhost/', /local or cloud metadata name/],
    ['http://2130706433/', /loopback/],
    ['http://0x7f000001/', /loopback/],
    ['http://0x7f.1/', /loopback/],
    ['http://0177.0.0.1/', /loopback/],
    ['http://127.1/', /loopback/],
    ['http://%31%32%37.0.0.1/', /loopback/],
    ['http://[::1]/', /loopback/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://[::ffff:7f00:1]/', /loopback/],
    ['http://[0:0:0:0:0:ffff:7f00:1]/', /loopback/],
    ['http://[::127.0.0.1]/', /IPv4-compatible/],
    ['http://[64:ff9b::7f00:1]/', /NAT64/],
    ['http://169.254.169.254/latest/meta-data', /cloud metadata address/],
    ['http://[::ffff:169.254.169.254]/latest/meta-data', /cloud metadata address/],
    ['http://metadata.google.internal/computeMetadata/v1/', /cloud metadata name/],
    ['http://169.254.1.1/', /link-local/],
    ['http://10.0.0.1/', /private/],
    ['http://192.168.1.1/', /private/],
    ['http://172.16.0.1/', /private/],
    ['http://100.64.0.1/', /carrier-grade NAT/],
    ['http://[fe80::1]/', /link-local/],
    ['http://[fd00::1]/', /unique-local/],
    ['http://0.0.0.0/', /unspecified/],
    ['http://0/', /unspecified/],
    ['http://[::]/', /unspecified/],
    ['http://255.255.255.255/', /broadcast/],
    ['http://224.0.0.1/', /multicast/],
    ['http://198.18.0.1/', /reserved/],
    ['ftp://example.com/', /must use https or http, not ftp:/],
    ['file:///etc/passwd', /must use https or http, not file:/],
    ['http://user:pass@example.com/', /must not carry credentials/],
    ['http://127.0.0.1:80@example.com/', /must not carry credentials/],
    ['not a url', /not a valid absolute URL/],
  ];

  it.each(table)('%s is refused', async (url, reason) => {
    const attempt = checkCallbackUrl(url, { allowHttp: true }, { lookup: noDns });
    await expect(attempt).rejects.toMatchObject({ code: 'invalid_request', param: 'callbackUrl' });
    await expect(attempt).rejects.toThrow(reason);
  });

  it('refuses plain http unless the policy allows it', async () => {
    await expect(checkCallbackUrl('http://example.com/hook', {}, { lookup: noDns })).rejects.toThrow(
      /must use https \(plain http is not allowed/,
    );
  });

  it('refuses a name when any address it resolves to is blocked, without naming that address', async () => {
    const lookup = dns({
      'rebind.example': [
        { address: '93.184.216.34', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
      'intranet.example': [{ address: '10.1.2.3', family: 4 }],
      'mapped.example': [{ address: '::ffff:192.168.0.10', family: 6 }],
      'meta.example': [{ address: '169.254.169.254', family: 4 }],
    });
    const refused = async (url: string, reason: RegExp) => {
      const attempt = checkCallbackUrl(url, {}, { lookup });
      await expect(attempt).rejects.toMatchObject({ code: 'invalid_request', param: 'callbackUrl' });
      await expect(attempt).rejects.toThrow(reason);
      const message = await attempt.catch((e: Error) => e.message);
      expect(message).not.toMatch(/\d+\.\d+\.\d+\.\d+/);
    };
    await refused('https://rebind.example/hook', /rebind\.example resolves to a loopback address/);
    await refused('https://intranet.example/hook', /resolves to a private address/);
    await refused('https://mapped.example/hook', /resolves to a private address/);
    await refused('https://meta.example/', /resolves to a cloud metadata address/);
  });

  it('treats a name that does not resolve as retryable, not as refused', async () => {
    await expect(checkCallbackUrl('https://nowhere.example/', {}, { lookup: dns({}) })).rejects.toMatchObject(
      { code: 'transient', retryable: true },
    );
  });
});

describe('checkCallbackUrl accepts what the policy allows', () => {
  it('accepts a public name and returns the address to connect to', async () => {
    const lookup = dns({
      'hooks.example.com': [
        { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
        { address: '93.184.216.34', family: 4 },
      ],
    });
    const checked = await checkCallbackUrl('https://hooks.example.com/reelay?x=1', {}, { lookup });
    expect(checked).toMatchObject({ address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 });
    expect(checked.url.href).toBe('https://hooks.example.com/reelay?x=1');
  });

  it('accepts a public IP literal in any spelling, normalised', async () => {
    const checked = await checkCallbackUrl('https://1572395042/', {}, { lookup: noDns });
    expect(checked).toMatchObject({ address: '93.184.216.34', family: 4 });
  });

  it('accepts private targets named by the allow-list: CIDR, IP (also IPv4-mapped) and host name', async () => {
    const lookup = dns({ 'receiver.internal': [{ address: '10.9.8.7', family: 4 }] });
    const policy = { allow: ['10.0.0.0/8', '127.0.0.1', 'receiver.internal'], allowHttp: true };
    expect(await checkCallbackUrl('http://10.0.0.1/', policy, { lookup })).toMatchObject({
      address: '10.0.0.1',
    });
    expect(await checkCallbackUrl('http://[::ffff:127.0.0.1]:8080/', policy, { lookup })).toMatchObject({
      address: '127.0.0.1',
      family: 4,
    });
    expect(await checkCallbackUrl('http://receiver.internal/', policy, { lookup })).toMatchObject({
      address: '10.9.8.7',
    });
    // The allow-list is exact: a neighbour of an allowed address is still refused.
    await expect(checkCallbackUrl('http://127.0.0.2/', policy, { lookup })).rejects.toThrow(/loopback/);
    await expect(checkCallbackUrl('http://192.168.0.1/', policy, { lookup })).rejects.toThrow(/private/);
  });

  it('parseCallbackUrl does the checks that need no DNS, for use at enqueue time', () => {
    expect(parseCallbackUrl('https://hooks.example.com/x').host).toBe('hooks.example.com');
    expect(() => parseCallbackUrl('https://[::1]/')).toThrow(/loopback/);
  });

  it('refuses an allow-list entry that is not a host, IP or CIDR at start-up', () => {
    expect(() =>
      resolveNotifyOptions({ secretFor: () => undefined, policy: { allow: ['http://x/'] } }),
    ).toThrow(/neither a host name, an IP address nor a CIDR/);
  });
});
