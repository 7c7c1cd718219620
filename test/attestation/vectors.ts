/** The shared TEE vectors (../shared/vectors/tee), or the reason they cannot be used. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SHARED_DIR } from "../helpers/temp.js";

export const TEE_DIR = join(SHARED_DIR, "vectors", "tee");
export const TEE_SKIP: string | false = existsSync(join(TEE_DIR, "README.md")) ? false : `TEE vectors absent (${TEE_DIR}): skipping`;
if (TEE_SKIP) process.stdout.write(`# ${TEE_SKIP}\n`);

export function teeFile(path: string): Buffer {
  return readFileSync(join(TEE_DIR, path));
}

export function teePath(path: string): string {
  return join(TEE_DIR, path);
}

/** Values published in the vectors' README (re-typed here, not computed by the code under test). */
export const PHALA = {
  at: new Date(1751624191 * 1000),
  tdx: {
    mrtd: "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7",
    rtmr0: "44c0197b39157fdd7a4dcc44767f9d6b0bb3977c7a8e347b8492f827fe9d9e5c48aca29b220b80b6a540cf994b9bc9c0",
    rtmr1: "0084452c01668329d4bc06acdf58a7205c26743304509973949e5619bf81a6a7aea8c323c173019b3093d54e579e9378",
    rtmr2: "d833feef2cd945148aa38ead2c53e9b7f138190aaaebfc551dccd829fc207aa3ba80b70870d7330733642e01d48c3132",
    rtmr3: "00".repeat(48),
  },
  reportData: "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20",
};

export const NEAR = {
  at: new Date(1758093775 * 1000),
  tdx: {
    mrtd: "f06dfda6dce1cf904d4e2bab1dc370634cf95cefa2ceb2de2eee127c9382698090d7a4a13e14c536ec6c9c3c8fa87077",
    rtmr0: "68102e7b524af310f7b7d426ce75481e36c40f5d513a9009c046e9d37e31551f0134d954b496a3357fd61d03f07ffe96",
    rtmr1: "19d16ecd33220ee15965b4fb28a0661e85ec4cad0a20d920bf4028f58ad014b262af3c9b0530f283e7d032e7bdca6308",
    rtmr2: "05ac95f479e23db627217ce58b2587483c9ee4f374a7d8ebee3b812b8cfd8fd8fca04696369c33bd5279590d83e713c0",
    rtmr3: "287a9242edd8c8429913ec66f44af611b820cf9b574f303a6caeddeb4c9826311aef6e518aaf4a17f55a81154592b7b3",
    mrconfigid: "0112a20aed7d6c68601e9f6e108a93b4199ae7231684307ffc4833c9cd08d45de7000000000000000000000000000000",
  },
  reportData: "0001d579ba6e734a1046feb6112f852df5f4f1e44a4e7ce1755ce3b07bd6aaab04e89ca01fdf4956d2f609c2709731cb813a0000000000000000000000000000",
};

export const GENOA = {
  measurement: "f57dc09a507c6ecd82369bffb600f0003792f4d99bc26e985ec0c266fc34faf3706faf814c9e61065768a6ff917c89ae",
  reportData: "b581f12e29a2d7d64e5e0b738d563879a78b51c644d0fa0cce02b48699f6bf5f" + "00".repeat(32),
};

export const VLEK = {
  at: new Date("2025-06-01T00:00:00Z"),
  measurement: "8922ebbdd00ec2c541f36a6e7a82a8773a7accb451ed67bc94e740dbe92c93c4e8c9af857f5ceeb5a493df2a570d7bf0",
  reportData: "819770b7e6ea6df8dd8fd4dd146b073c0bf4f3ce5b0977ecac486e3a05ed1bd54e2a7ac1f5d1ca02e7d7d5ef9f73b8574fd9359e3a480d741a4478e8a7bc27ca",
};

export const MILAN_V2 = {
  measurement: "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01",
  reportData: "0102030405" + "00".repeat(59),
};
