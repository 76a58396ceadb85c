/**
 * The embedded authorization server's pure parts: what Cedar reads (vMCP's resolveClaims), key
 * material in the Secrets' formats, lifespans from the stack, the registration bucket and the
 * production environment.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { calculateJwkThumbprint, exportJWK, UnsecuredJWT } from "jose";
import { cedarClaims, supplementProfileClaims } from "../gateway/authServer/claims";
import { cookieKeysFrom, loadSigningKeys, localKeyMaterial, mountedKeyMaterial } from "../gateway/authServer/keys";
import { lifespansFrom } from "../gateway/authServer/lifespans";
import { TokenBucket } from "../gateway/authServer/rateLimit";
import { containerAuthConfig } from "../gateway/authServer";
import { MemoryStore, RedisStore } from "../gateway/authServer/store";

const unsigned = (claims: Record<string, unknown>) => new UnsecuredJWT(claims).encode().replace(/\.$/, ".sig");

describe("Cedar's claims for a gateway token (vMCP resolveClaims with primaryUpstreamProvider)", () => {
  test("the upstream access token's claims, name and email filled in from the id_token, access token winning", () => {
    const at = unsigned({ sub: "00u1", groups: ["mcp-developers"], email: "from-at@example.com" });
    const id = unsigned({ sub: "00u1", name: "Alice", email: "from-id@example.com", aud: "client", groups: ["mcp-admin"] });
    const c = cedarClaims(at, id, { sub: "gateway-user" });
    assert.equal(c.sub, "00u1", "principal = upstream sub");
    assert.deepEqual(c.groups, ["mcp-developers"], "groups never come from the id_token");
    assert.equal(c.email, "from-at@example.com", "the access token's value wins");
    assert.equal(c.name, "Alice", "name supplemented from the id_token");
    assert.equal(c.aud, undefined, "the id_token's registered claims are not merged");
  });

  test("no id_token or an unreadable one: no supplement; absent claims stay absent", () => {
    const at = unsigned({ sub: "u" });
    assert.deepEqual(cedarClaims(at, undefined, {}), { sub: "u" });
    assert.deepEqual(cedarClaims(at, "a.b.c", {}), { sub: "u" });
    assert.deepEqual(supplementProfileClaims({ sub: "u" }, { sub: "x" }), { sub: "u" });
  });

  test("an opaque upstream token falls back to the request token's claims; a broken JWT is an error", () => {
    assert.deepEqual(cedarClaims("ya29.opaque-token", undefined, { sub: "gw" }), { sub: "gw" });
    assert.throws(() => cedarClaims("aaa.bbb.ccc", undefined, { sub: "gw" }), /not a readable JWT/);
  });
});

describe("key material", () => {
  const ec = () => generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const rsa = (bits = 2048) => generateKeyPairSync("rsa", { modulusLength: bits }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();

  test("PKCS#8 PEMs (EC and RSA): algorithm from the key, kid = RFC 7638 thumbprint, first signs", async () => {
    const pems = [ec(), rsa()];
    const set = await loadSigningKeys(pems.map((pem, i) => ({ generation: String(i + 2), pem })));
    assert.equal(set.alg, "ES256");
    assert.deepEqual(set.publicKeys.map((k) => [k.alg, k.signing]), [["ES256", true], ["RS256", false]]);
    for (const [i, pem] of pems.entries()) {
      const expected = await calculateJwkThumbprint(await exportJWK(createPublicKey(pem)), "sha256");
      assert.equal(set.publicKeys[i].kid, expected);
      assert.equal(set.privateJwks[i].kid, expected);
      assert.ok(set.privateJwks[i].d, "the provider gets the private part");
      assert.equal((set.publicKeys[i].jwk as Record<string, unknown>).d, undefined, "never published");
    }
  });

  test("refused: no key, short RSA, other curves, garbage, the same key twice", async () => {
    await assert.rejects(loadSigningKeys([]), /at least one signing key/);
    await assert.rejects(loadSigningKeys([{ generation: "1", pem: rsa(1024) }]), /at least 2048 bits/);
    const p384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    await assert.rejects(loadSigningKeys([{ generation: "1", pem: p384 }]), /unsupported signing key type ec \(secp384r1\)/);
    await assert.rejects(loadSigningKeys([{ generation: "1", pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" }]), /generation 1 is not an unencrypted PEM/);
    const k = ec();
    await assert.rejects(loadSigningKeys([{ generation: "1", pem: k }, { generation: "2", pem: k }]), /same key/);
    assert.throws(() => cookieKeysFrom([randomBytes(31)]), /at least 32/);
  });

  test("development key files: created once per generation (0600), kept when a generation is added", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "vmcp-okta-askeys-")), "auth-server");
    const one = localKeyMaterial(dir, [{ generation: "1", algorithm: "ES256" }], [{ generation: "1", bytes: 32 }]);
    assert.equal(statSync(join(dir, "signing-key-1.pem")).mode & 0o777, 0o600);
    const two = localKeyMaterial(dir, [{ generation: "2", algorithm: "RS256", rsaBits: 2048 }, { generation: "1", algorithm: "ES256" }], [{ generation: "1", bytes: 32 }]);
    assert.equal(two.signingKeys[1].pem, one.signingKeys[0].pem, "generation 1 unchanged");
    assert.match(two.signingKeys[0].pem, /BEGIN PRIVATE KEY/);
    assert.ok(two.hmacSecrets[0].equals(one.hmacSecrets[0]));
  });

  test("mounted Secrets: key-<i>.pem and hmac-<i> in index order, raw bytes", () => {
    const root = mkdtempSync(join(tmpdir(), "vmcp-okta-asmount-"));
    mkdirSync(join(root, "keys"));
    mkdirSync(join(root, "hmac"));
    const [k0, k1] = [ec(), ec()];
    writeFileSync(join(root, "keys", "key-1.pem"), k1);
    writeFileSync(join(root, "keys", "key-0.pem"), k0);
    writeFileSync(join(root, "keys", "README"), "ignored");
    writeFileSync(join(root, "hmac", "hmac-0"), "secret-with-newline-kept-as-is-0123456789\n");
    const m = mountedKeyMaterial(join(root, "keys"), join(root, "hmac"));
    assert.deepEqual(m.signingKeys.map((k) => k.pem), [k0, k1]);
    assert.equal(m.hmacSecrets[0].toString(), readFileSync(join(root, "hmac", "hmac-0"), "utf8"));
    assert.throws(() => mountedKeyMaterial(join(root, "hmac"), join(root, "hmac")), /no signing keys/);
  });
});

describe("configuration", () => {
  test("lifespans: the stack's Go durations, vMCP's defaults for the rest", () => {
    assert.deepEqual(lifespansFrom(undefined), { accessTokenSeconds: 3600, refreshTokenSeconds: 604800, authCodeSeconds: 600 });
    assert.deepEqual(lifespansFrom({ accessToken: "15m", authCode: "1m30s" }), { accessTokenSeconds: 900, refreshTokenSeconds: 604800, authCodeSeconds: 90 });
    assert.throws(() => lifespansFrom({ refreshToken: "7d" }), /not a Go duration/);
  });

  test("registration bucket: 5 at once, then one per second", () => {
    let now = 0;
    const b = new TokenBucket(1, 5, () => now);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => b.take()), [true, true, true, true, true, false]);
    now = 999;
    assert.equal(b.take(), false);
    now = 1000;
    assert.equal(b.take(), true);
  });

  test("production environment: off without a client id; missing folders and secret files are clear problems", () => {
    assert.equal(containerAuthConfig({}).config, undefined);
    const r = containerAuthConfig({ VMCP_UPSTREAM_CLIENT_ID: "0oa1", VMCP_UPSTREAM_CLIENT_SECRET_FILE: "/nonexistent/secret", VMCP_AUTH_KEYS_DIR: "/nonexistent/keys", VMCP_ISSUER: "https://x.okta.com/oauth2/aus1" });
    assert.deepEqual(r.problems.map((p) => [p.code, p.path]), [
      ["container.client-secret-file", "VMCP_UPSTREAM_CLIENT_SECRET_FILE"],
      ["container.auth-dir", "VMCP_AUTH_KEYS_DIR"],
      ["container.auth-dir", "VMCP_AUTH_HMAC_DIR"],
    ]);
    assert.equal(r.config?.clientId, "0oa1");
  });
});

describe("storage", () => {
  test("memory: values are copies, expire, take() is single-use", async () => {
    const m = new MemoryStore();
    const v = { a: [1] };
    await m.set("k", v, 60);
    v.a.push(2);
    const got = await m.get<{ a: number[] }>("k");
    assert.deepEqual(got, { a: [1] });
    got!.a.push(3);
    assert.deepEqual(await m.get("k"), { a: [1] });
    assert.deepEqual(await m.take("k"), { a: [1] });
    assert.equal(await m.take("k"), undefined);
    await m.set("short", 1, 0.05);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(await m.get("short"), undefined);
    await m.close();
  });

  test("redis: a bad address or an unreachable server is a clear error", async () => {
    assert.throws(() => new RedisStore({ addr: "redis.example.com" }), /not host:port/);
    const r = new RedisStore({ addr: "127.0.0.1:1", redis: { retryStrategy: () => null } });
    await assert.rejects(r.ready(), /Redis at 127\.0\.0\.1:1 is unreachable/);
    await r.close();
  });
});
