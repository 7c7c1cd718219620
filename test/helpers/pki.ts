/** Test-only: a throwaway PKI made with the openssl CLI (tests skip, saying why, without it). */
import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

export function opensslMissing(): boolean {
  return spawnSync("openssl", ["version"]).error !== undefined;
}

export interface Pki {
  caCert: string;
  serverKey: string;
  serverCert: string;
  clientKey: string;
  clientCert: string;
  rogueKey: string;
  rogueCert: string;
}

/** A CA, a server certificate for 127.0.0.1/localhost, a client certificate, and one from a rogue CA. */
export async function makePki(dir: string): Promise<Pki> {
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => {
    const result = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`openssl ${args.join(" ")} failed:\n${result.stderr}`);
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const makeCa = (name: string) =>
    openssl("req", "-x509", ...ec, "-keyout", path(`${name}.key`), "-out", path(`${name}.crt`), "-days", "2",
      "-subj", `/CN=Bulwark e2e ${name}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  const issue = async (name: string, ca: string, cn: string, extensions: string) => {
    await writeFile(path(`${name}.ext`), extensions);
    openssl("req", "-new", ...ec, "-keyout", path(`${name}.key`), "-out", path(`${name}.csr`), "-subj", `/CN=${cn}`);
    openssl("x509", "-req", "-in", path(`${name}.csr`), "-CA", path(`${ca}.crt`), "-CAkey", path(`${ca}.key`),
      "-set_serial", String(Date.now()), "-days", "2", "-out", path(`${name}.crt`), "-extfile", path(`${name}.ext`));
  };
  makeCa("ca");
  makeCa("rogue-ca");
  await issue("server", "ca", "127.0.0.1", "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  await issue("client", "ca", "validator-client", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  await issue("rogue", "rogue-ca", "validator-client", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  return {
    caCert: path("ca.crt"),
    serverKey: path("server.key"),
    serverCert: path("server.crt"),
    clientKey: path("client.key"),
    clientCert: path("client.crt"),
    rogueKey: path("rogue.key"),
    rogueCert: path("rogue.crt"),
  };
}
