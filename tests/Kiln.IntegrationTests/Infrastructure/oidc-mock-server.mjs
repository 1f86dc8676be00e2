// An OpenID Connect issuer (and a stand-in for Google's OAuth endpoints) for tests: oauth2-mock-server on 127.0.0.1:<port>. It signs in whoever the JSON file named
// by argv[3] describes at the moment of the token request ({ sub, email, email_verified, name }), so a test picks the
// person before it starts the flow. Discovery, JWKS, authorization code with PKCE and nonce are the library's own.
import { readFileSync } from 'node:fs';
import { OAuth2Server } from 'oauth2-mock-server';

const port = Number(process.argv[2]);
const identityFile = process.argv[3];
const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
server.issuer.url = `http://127.0.0.1:${port}`;
server.service.on('beforeTokenSigning', (token) => {
  const who = JSON.parse(readFileSync(identityFile, 'utf8'));
  Object.assign(token.payload, who);
});
// Google-style sign-in reads the person from the userinfo endpoint with the access token; answer as Google's v3
// userinfo does ({ sub, email, email_verified, name }), and refuse a request without a bearer token as Google would.
server.service.on('beforeUserinfo', (response, req) => {
  if (!(req.headers.authorization ?? '').startsWith('Bearer ')) {
    response.statusCode = 401;
    response.body = { error: 'invalid_request' };
    return;
  }
  response.body = JSON.parse(readFileSync(identityFile, 'utf8'));
});
await server.start(port, '127.0.0.1');
console.log(`listening ${server.issuer.url}`);
