/**
 * End-to-end: `node bin/bulwark.js serve ...` as a real child process, spoken to over HTTP(S).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { makePki, opensslMissing } from "../helpers/pki.js";
import { tempDir } from "../helpers/temp.js";
import { cheapKeystore, keystoreName, type Layout, testKey, writeKeystore } from "../keys/fixtures.js";
import { apiTokenHeader, type Bulwark, freePort, getJson, portOpen, request, runBulwark, startBulwark } from "./harness.js";
import { attestation, network, randaoReveal, root, signatureOf, verifies } from "./requests.js";

const HOODI = network("hoodi");
const THREADS = ["--signing-threads", "1"];

const servers = new Set<Bulwark>();
const cleanups: Array<() => void> = [];
after(async () => {
  await Promise.all([...servers].map((server) => server.stop("SIGKILL")));
  for (const cleanup of cleanups) cleanup();
});

/** A scratch directory removed after the file's tests. */
function scratch(): string {
  const dir = tempDir("bulwark-e2e-");
  cleanups.push(dir.cleanup);
  return dir.path;
}

async function layoutIn(rootDir: string): Promise<Layout> {
  const layout = { root: rootDir, keystores: join(rootDir, "validator_keys"), passwords: join(rootDir, "secrets") };
  await mkdir(layout.keystores, { recursive: true });
  await mkdir(layout.passwords, { recursive: true });
  return layout;
}

async function serve(args: string[], env?: Record<string, string>): Promise<Bulwark> {
  const server = await startBulwark(["serve", ...args], env === undefined ? {} : { env });
  servers.add(server);
  void server.exited.then(() => servers.delete(server));
  return server;
}

async function publicKeys(server: Bulwark): Promise<string[]> {
  const { status, json } = await getJson(`${server.url}/api/v1/eth2/publicKeys`);
  assert.equal(status, 200);
  return [...(json as string[])].sort();
}

function signUrl(server: Bulwark, pubkey: string): string {
  return `${server.url}/api/v1/eth2/sign/${pubkey}`;
}

describe("bulwark serve (real process)", () => {
  test("starts without keystores, answers /upcheck, lists no keys and says how to add some", async () => {
    const dataDir = join(scratch(), "data");
    const server = await serve(["--network", "hoodi", "--data-dir", dataDir, "--http-port", "0", ...THREADS]);

    const up = await request(`${server.url}/upcheck`);
    assert.equal(up.status, 200);
    assert.equal(up.body, "OK");
    assert.deepEqual(await publicKeys(server), []);
    const health = await getJson(`${server.url}/healthcheck`);
    assert.equal(health.status, 200);

    const hint = server.logs().find((line) => typeof line.msg === "string" && line.msg.includes("--keystores"));
    assert.ok(hint, `no log line tells how to add keys:\n${server.stdout()}`);
    assert.match(String(hint.msg), /--keystores-passwords/);
    assert.ok((await readdir(dataDir)).length > 0, "the data directory holds the slashing-protection database");
    assert.equal((await server.stop()).code, 0);
  });

  test("loads keystores with a passwords directory, lists and signs with them", async () => {
    const layout = await layoutIn(scratch());
    const keys = [testKey(101), testKey(102)];
    for (const [i, key] of keys.entries()) {
      await writeKeystore(layout, keystoreName(i), await cheapKeystore(key, `password-${i}`), `password-${i}`);
    }
    const server = await serve([
      "--network", "hoodi", "--data-dir", join(layout.root, "data"), "--http-port", "0", ...THREADS,
      "--keystores", layout.keystores, "--keystores-passwords", layout.passwords,
    ]);
    assert.deepEqual(await publicKeys(server), keys.map((k) => k.pubkey).sort());

    const randao = randaoReveal(HOODI, 60_000);
    for (const key of keys) {
      const res = await request(signUrl(server, key.pubkey), { body: randao.body });
      assert.equal(res.status, 200, res.body);
      assert.ok(verifies(key.pubkey, randao.signingRoot, signatureOf(res.body)));
    }
  });

  test("a keystore with a wrong password stops start-up: non-zero exit, file named, password never shown, port never opened", async () => {
    const layout = await layoutIn(scratch());
    const goodPassword = "good-password-3b1e";
    const rightPassword = "right-password-7c2d";
    const wrongPassword = "wrong-password-Zq9x";
    await writeKeystore(layout, keystoreName(0), await cheapKeystore(testKey(111), goodPassword), goodPassword);
    const badFile = await writeKeystore(layout, keystoreName(1), await cheapKeystore(testKey(112), rightPassword));
    await writeFile(join(layout.passwords, keystoreName(1).replace(/\.json$/, ".txt")), `${wrongPassword}\n`);
    const port = await freePort();

    const result = await runBulwark([
      "serve", "--network", "hoodi", "--data-dir", join(layout.root, "data"), "--http-port", String(port), ...THREADS,
      "--keystores", layout.keystores, "--keystores-passwords", layout.passwords,
    ]);
    assert.notEqual(result.code, 0, `expected a failure exit, got ${result.code}\n${result.stdout}\n${result.stderr}`);
    assert.ok(result.stderr.includes(badFile), `stderr should name ${badFile}:\n${result.stderr}`);
    assert.match(result.stderr, /password/i);
    assert.ok(!result.stderr.includes(keystoreName(0)), "only the failing keystore is named");
    for (const secret of [wrongPassword, rightPassword, goodPassword]) {
      assert.ok(!result.stderr.includes(secret), `stderr leaks a password: ${result.stderr}`);
      assert.ok(!result.stdout.includes(secret), `stdout leaks a password: ${result.stdout}`);
    }
    assert.ok(!result.stdout.includes("bulwark signer ready"));
    assert.ok(!result.stdout.includes("Server listening"));
    assert.equal(await portOpen(port), false);
  });

  test("--keystores-password-file: one password for every keystore", async () => {
    const layout = await layoutIn(scratch());
    const password = "shared-password-ä1";
    const keys = [testKey(121), testKey(122), testKey(123)];
    for (const [i, key] of keys.entries()) await writeKeystore(layout, keystoreName(i), await cheapKeystore(key, password));
    const passwordFile = join(layout.root, "password.txt");
    await writeFile(passwordFile, `${password}\n`);
    const server = await serve([
      "--network", "hoodi", "--data-dir", join(layout.root, "data"), "--http-port", "0", ...THREADS,
      "--keystores", layout.keystores, "--keystores-password-file", passwordFile,
    ]);
    assert.deepEqual(await publicKeys(server), keys.map((k) => k.pubkey).sort());
    assert.ok(!server.stdout().includes(password));
  });

  test("POST /reload adds a new keystore and drops a removed one", async () => {
    const layout = await layoutIn(scratch());
    const [kept, removed, added] = [testKey(131), testKey(132), testKey(133)];
    await writeKeystore(layout, keystoreName(0), await cheapKeystore(kept, "p0"), "p0");
    const removedFile = await writeKeystore(layout, keystoreName(1), await cheapKeystore(removed, "p1"), "p1");
    const server = await serve([
      "--network", "hoodi", "--data-dir", join(layout.root, "data"), "--http-port", "0", ...THREADS,
      "--keystores", layout.keystores, "--keystores-passwords", layout.passwords,
    ]);
    assert.deepEqual(await publicKeys(server), [kept.pubkey, removed.pubkey].sort());
    const randao = randaoReveal(HOODI, 60_001);
    assert.equal((await request(signUrl(server, removed.pubkey), { body: randao.body })).status, 200);

    await writeKeystore(layout, keystoreName(2), await cheapKeystore(added, "p2"), "p2");
    await rm(removedFile);
    const reload = await getJson(`${server.url}/reload`, { method: "POST", headers: apiTokenHeader(join(layout.root, "data")) });
    assert.equal(reload.status, 200);
    assert.deepEqual(reload.json, { added: 1, removed: 1 });
    assert.deepEqual(await publicKeys(server), [kept.pubkey, added.pubkey].sort());

    const gone = await request(signUrl(server, removed.pubkey), { body: randao.body });
    assert.equal(gone.status, 404, gone.body);
    const fresh = await request(signUrl(server, added.pubkey), { body: randao.body });
    assert.equal(fresh.status, 200, fresh.body);
    assert.ok(verifies(added.pubkey, randao.signingRoot, signatureOf(fresh.body)));
    assert.equal((await request(signUrl(server, kept.pubkey), { body: randao.body })).status, 200);

    // A reload that fails (wrong password) keeps the keys already loaded and names the file only.
    const brokenFile = await writeKeystore(layout, keystoreName(3), await cheapKeystore(testKey(134), "right-pw-81"));
    await writeFile(join(layout.passwords, keystoreName(3).replace(/\.json$/, ".txt")), "wrong-pw-82\n");
    const failed = await request(`${server.url}/reload`, { method: "POST", headers: apiTokenHeader(join(layout.root, "data")) });
    assert.equal(failed.status, 500);
    assert.ok(failed.body.includes(brokenFile), failed.body);
    assert.ok(!failed.body.includes("wrong-pw-82") && !failed.body.includes("right-pw-81"));
    assert.ok(!server.stdout().includes("wrong-pw-82") && !server.stdout().includes("right-pw-81"));
    assert.deepEqual(await publicKeys(server), [kept.pubkey, added.pubkey].sort());
  });

  test("a port already in use: non-zero exit with a message naming the address", async () => {
    const holder = net.createServer().listen(0, "127.0.0.1");
    await once(holder, "listening");
    try {
      const { port } = holder.address() as net.AddressInfo;
      const result = await runBulwark(["serve", "--network", "hoodi", "--data-dir", join(scratch(), "data"), "--http-port", String(port), ...THREADS]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}.*EADDRINUSE`));
    } finally {
      holder.close();
    }
  });

  test("a second signer on the same data directory is refused; after the first stops, it starts", async () => {
    const dataDir = join(scratch(), "data");
    const first = await serve(["--network", "hoodi", "--data-dir", dataDir]);
    const second = await runBulwark(["serve", "--network", "hoodi", "--data-dir", dataDir, "--http-port", "0", ...THREADS]);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, /another bulwark signer \(pid \d+\) is using/);
    assert.equal((await first.stop()).code, 0);
    const third = await serve(["--network", "hoodi", "--data-dir", dataDir]);
    assert.equal((await third.stop()).code, 0);
  });

  describe("configuration precedence: flag > BULWARK_* > YAML > default", () => {
    test("YAML sets port and network; the environment overrides YAML; a flag overrides both", async () => {
      const dir = scratch();
      const [yamlPort, envPort, flagPort] = [await freePort(), await freePort(), await freePort()];
      const configFile = join(dir, "bulwark.yaml");
      await writeFile(configFile, `network: hoodi\nhttp-port: ${yamlPort}\ndata-dir: ${JSON.stringify(join(dir, "data"))}\nsigning-threads: 1\n`);

      const answers = async (port: number) => (await request(`http://127.0.0.1:${port}/upcheck`)).status === 200;
      const check = async (env: Record<string, string> | undefined, args: string[], expected: number) => {
        const server = await serve(["--config", configFile, ...args], env);
        try {
          assert.equal(server.port, expected);
          assert.ok(await answers(expected));
          for (const other of [yamlPort, envPort, flagPort].filter((p) => p !== expected)) {
            assert.equal(await portOpen(other), false, `port ${other} should be closed`);
          }
          const opened = server.logs().find((line) => line.msg === "slashing-protection database open");
          assert.equal(opened?.network, "hoodi", "network comes from the YAML file");
          assert.equal(opened?.genesisValidatorsRoot, HOODI.genesisValidatorsRoot);
        } finally {
          assert.equal((await server.stop()).code, 0);
        }
      };
      await check(undefined, [], yamlPort);
      await check({ BULWARK_HTTP_PORT: String(envPort) }, [], envPort);
      await check({ BULWARK_HTTP_PORT: String(envPort) }, ["--http-port", String(flagPort)], flagPort);
    });

    test(
      "network: gnosis in the YAML file starts the gnosis network",
      async () => {
        const dir = scratch();
        const configFile = join(dir, "gnosis.yaml");
        await writeFile(configFile, "network: gnosis\nhttp-port: 0\nsigning-threads: 1\n");
        const server = await serve(["--config", configFile, "--data-dir", join(dir, "data")]);
        assert.equal(server.logs().find((line) => line.msg === "slashing-protection database open")?.network, "gnosis");
        assert.equal((await server.stop()).code, 0);
      },
    );

    test("an unknown key in the YAML file is a clear error", async () => {
      const dir = scratch();
      const configFile = join(dir, "bulwark.yaml");
      await writeFile(configFile, "network: hoodi\nhttp-port: 0\nhttp-prot: 9999\n");
      const result = await runBulwark(["serve", "--config", configFile, "--data-dir", join(dir, "data"), ...THREADS]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /unknown option "http-prot"/);
      assert.ok(result.stderr.includes(configFile), `the message names the file:\n${result.stderr}`);
      assert.ok(!result.stdout.includes("bulwark signer ready"));
    });
  });

  test("--http-host-allowlist: by default a foreign Host gets 403; * allows it", async () => {
    const dir = scratch();
    const base = ["--network", "hoodi", "--data-dir", join(dir, "data"), "--http-port", "0", ...THREADS];
    const strict = await serve(base);
    const evil = await request(`${strict.url}/upcheck`, { headers: { host: "evil.example" } });
    assert.equal(evil.status, 403);
    assert.match(evil.body, /evil\.example/);
    assert.equal((await request(`${strict.url}/upcheck`, { headers: { host: `localhost:${strict.port}` } })).status, 200);
    assert.equal((await request(`${strict.url}/upcheck`)).status, 200, "127.0.0.1:port is allowed");
    await strict.stop();

    const open = await serve([...base, "--http-host-allowlist", "*"]);
    const allowed = await request(`${open.url}/upcheck`, { headers: { host: "evil.example" } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.body, "OK");
  });

  test("TLS: --tls-key/--tls-cert serve HTTPS; --tls-client-ca requires a client certificate", async (t) => {
    if (opensslMissing()) {
      t.skip("openssl CLI not found: cannot generate certificates");
      return;
    }
    const dir = scratch();
    const pki = await makePki(dir);
    const base = ["--network", "hoodi", "--data-dir", join(dir, "data"), "--http-port", "0", ...THREADS];

    const tls = await serve([...base, "--tls-key", pki.serverKey, "--tls-cert", pki.serverCert]);
    assert.match(tls.url, /^https:\/\//);
    const ca = await readFile(pki.caCert);
    const res = await request(`${tls.url}/upcheck`, { ca });
    assert.equal(res.status, 200);
    assert.equal(res.body, "OK");
    await assert.rejects(request(`${tls.url}/upcheck`), "an untrusted server certificate is refused by the client");
    await assert.rejects(request(`http://127.0.0.1:${tls.port}/upcheck`, { timeoutMs: 3000 }).then((r) => {
      if (r.status >= 400) throw new Error(`plain HTTP answered ${r.status}`);
      return r;
    }), "plain HTTP does not get a normal answer");
    await tls.stop();

    const mtls = await serve([...base, "--tls-key", pki.serverKey, "--tls-cert", pki.serverCert, "--tls-client-ca", pki.caCert]);
    await assert.rejects(request(`${mtls.url}/upcheck`, { ca }), "no client certificate, no answer");
    const withCert = await request(`${mtls.url}/upcheck`, { ca, cert: await readFile(pki.clientCert), key: await readFile(pki.clientKey) });
    assert.equal(withCert.status, 200);
    assert.equal(withCert.body, "OK");
    await assert.rejects(
      request(`${mtls.url}/upcheck`, { ca, cert: await readFile(pki.rogueCert), key: await readFile(pki.rogueKey) }),
      "a client certificate from another CA is refused",
    );
  });

  test("SIGTERM exits 0 and the slashing-protection records survive the restart", async () => {
    const layout = await layoutIn(scratch());
    const key = testKey(141);
    await writeKeystore(layout, keystoreName(0), await cheapKeystore(key, "pw"), "pw");
    const args = [
      "--network", "hoodi", "--data-dir", join(layout.root, "data"), "--http-port", "0", ...THREADS,
      "--keystores", layout.keystores, "--keystores-passwords", layout.passwords,
    ];
    const first = await serve(args);
    const vote = attestation(HOODI, { source: 59_998, target: 59_999, blockRoot: root(0x01) });
    const signed = await request(signUrl(first, key.pubkey), { body: vote.body });
    assert.equal(signed.status, 200, signed.body);
    assert.ok(verifies(key.pubkey, vote.signingRoot, signatureOf(signed.body)));

    const exit = await first.stop("SIGTERM");
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(first.logs().some((line) => line.msg === "shutting down" && line.signal === "SIGTERM"));

    const second = await serve(args);
    const conflicting = attestation(HOODI, { source: 59_998, target: 59_999, blockRoot: root(0x02) });
    const refused = await request(signUrl(second, key.pubkey), { body: conflicting.body });
    assert.equal(refused.status, 412, refused.body);
    const again = await request(signUrl(second, key.pubkey), { body: vote.body });
    assert.equal(again.status, 200, `re-signing the identical attestation is safe: ${again.body}`);
    assert.equal((await second.stop()).code, 0);
  });
});
