// A real OpenID Connect provider for the tests: panva's `oidc-provider` (npm, pinned in package.json),
// configured like ProConnect (scopes given_name, usual_name, siret...; userinfo signed when the client asks).
//
//   node provider.mjs CONFIG.json
//
// CONFIG.json: {"clients": [<client metadata>], "accounts": {"<login>": {<claims>}},
//               "clientAuthMethods": ["client_secret_post"]}   (optional: what discovery advertises)
// Listens on 127.0.0.1 on a port chosen by the system and prints one line, {"issuer": "http://127.0.0.1:PORT"},
// once it accepts requests. The login and consent pages are the library's development interactions:
// any login listed in "accounts" signs in, with any password. Stops on SIGTERM/SIGINT.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts ?? {};

// Fresh signing keys on every start: RS256 and ES256, the two algorithms ProConnect uses.
function signingKey(type, options, alg) {
  const jwk = generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' });
  return { ...jwk, alg, use: 'sig', kid: `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}` };
}
const jwks = {
  keys: [
    signingKey('rsa', { modulusLength: 2048 }, 'RS256'),
    signingKey('ec', { namedCurve: 'P-256' }, 'ES256'),
  ],
};

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    ...(config.clientAuthMethods ? { clientAuthMethods: config.clientAuthMethods } : {}),
    jwks,
    cookies: { keys: [randomBytes(32).toString('hex')] },
    // One scope per claim as ProConnect does, plus the standard "profile"; "email" carries email_verified.
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      given_name: ['given_name'],
      usual_name: ['usual_name'],
      profile: ['given_name', 'family_name'],
      siret: ['siret'],
    },
    async findAccount(ctx, id) {
      if (!Object.hasOwn(accounts, id)) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...accounts[id] }) };
    },
    features: {
      devInteractions: { enabled: true },
      jwtUserinfo: { enabled: true },
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      userinfoSigningAlgValues: ['RS256', 'ES256'],
    },
    pkce: { required: () => true },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
