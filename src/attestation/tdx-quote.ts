/** The fields of a TDX quote v4 (TD report 1.0) the verifier reads, parsed by @phala/dcap-qvl. */
import { X509Certificate } from "node:crypto";
import { Quote } from "@phala/dcap-qvl";
import { certificatesFromPem } from "./certificates.js";

const TEE_TYPE_TDX = 0x81;
const PCK_CERT_CHAIN = 5;
/** TD_ATTRIBUTES bit 0 (TUD.DEBUG): the host can read and change the TD's memory. */
const TD_ATTRIBUTE_DEBUG = 0x01;
/** TD_ATTRIBUTES bit 28 (SEPT_VE_DISABLE): without it the host can inject #VE through EPT violations. */
const TD_ATTRIBUTE_SEPT_VE_DISABLE_BYTE3 = 0x10;

export interface TdxQuote {
  measurements: { mrseam: string; mrtd: string; rtmr0: string; rtmr1: string; rtmr2: string; rtmr3: string; mrconfigid: string; mrowner: string; mrownerconfig: string };
  teeTcbSvn: string;
  tdAttributes: string;
  xfam: string;
  reportData: Buffer;
  debug: boolean;
  septVeDisable: boolean;
  /** The PCK chain the quote carries (leaf first). */
  pckChain: X509Certificate[];
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

export function parseTdxQuote(bytes: Buffer): TdxQuote {
  let quote: Quote;
  try {
    quote = Quote.parse(bytes);
  } catch (err) {
    throw new Error(`not a TDX quote: ${(err as Error).message}`);
  }
  if (quote.header.teeType !== TEE_TYPE_TDX) throw new Error(`not a TDX quote (TEE type 0x${quote.header.teeType.toString(16)})`);
  if (quote.header.version !== 4) throw new Error(`TDX quote version ${quote.header.version} is not supported (version 4 is)`);
  const td = quote.report.asTd10();
  if (quote.report.type !== "td10" || td === null) throw new Error(`TDX quote body is ${quote.report.type}, not a TD report 1.0`);
  const certification = quote.authData.intoV3().certificationData;
  if (certification.certType !== PCK_CERT_CHAIN) throw new Error(`quote carries certification data type ${certification.certType}, not the PCK chain (type 5)`);
  return {
    measurements: {
      mrseam: hex(td.mrSeam),
      mrtd: hex(td.mrTd),
      rtmr0: hex(td.rtMr0),
      rtmr1: hex(td.rtMr1),
      rtmr2: hex(td.rtMr2),
      rtmr3: hex(td.rtMr3),
      mrconfigid: hex(td.mrConfigId),
      mrowner: hex(td.mrOwner),
      mrownerconfig: hex(td.mrOwnerConfig),
    },
    teeTcbSvn: hex(td.teeTcbSvn),
    tdAttributes: hex(td.tdAttributes),
    xfam: hex(td.xfam),
    reportData: Buffer.from(td.reportData),
    debug: (td.tdAttributes[0]! & TD_ATTRIBUTE_DEBUG) !== 0,
    septVeDisable: (td.tdAttributes[3]! & TD_ATTRIBUTE_SEPT_VE_DISABLE_BYTE3) !== 0,
    pckChain: certificatesFromPem(Buffer.from(certification.body).toString("latin1")),
  };
}
