import crypto from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { promisify } from 'node:util';
import forge from 'node-forge';

/**
 * Server name from a TLS ClientHello record, or undefined when the bytes are not one (or it
 * carries no SNI). Layout: record header (5) → handshake header (4) → version (2) → random
 * (32) → session id → cipher suites → compression → extensions (type 0 = server_name).
 */
export function parseClientHelloSni(buf: Buffer): string | undefined {
  try {
    if (buf[0] !== 0x16 || buf[5] !== 0x01) return undefined;
    let p = 5 + 4 + 2 + 32;
    p += 1 + buf[p]!;
    p += 2 + buf.readUInt16BE(p);
    p += 1 + buf[p]!;
    const extEnd = Math.min(buf.length, p + 2 + buf.readUInt16BE(p));
    p += 2;
    while (p + 4 <= extEnd) {
      const type = buf.readUInt16BE(p);
      const len = buf.readUInt16BE(p + 2);
      p += 4;
      if (type === 0) {
        // server_name_list: list length (2), name type (1) = 0 host_name, name length (2), name
        const nameLen = buf.readUInt16BE(p + 3);
        return buf.subarray(p + 5, p + 5 + nameLen).toString('latin1');
      }
      p += len;
    }
  } catch {
    // truncated or malformed hello: no SNI
  }
  return undefined;
}

/** Bytes needed for the first TLS record to be complete, or 0 if it already is. */
export function tlsRecordMissing(buf: Buffer): number {
  if (buf.length < 5) return 5 - buf.length;
  return Math.max(0, 5 + buf.readUInt16BE(3) - buf.length);
}

/** Mints leaf certificates for whatever name the client asked for, signed by the analysis CA. */
export class LeafMinter {
  private readonly caCert: forge.pki.Certificate;
  private readonly caKey: forge.pki.rsa.PrivateKey;
  private readonly leafKeyPem: string;
  private readonly leafPublic: forge.pki.rsa.PublicKey;
  private readonly contexts = new Map<string, tls.SecureContext>();

  constructor(caCertPem: string, caKeyPem: string) {
    this.caCert = forge.pki.certificateFromPem(caCertPem);
    this.caKey = forge.pki.privateKeyFromPem(caKeyPem) as forge.pki.rsa.PrivateKey;
    // One key for every leaf of this analysis: key generation is the slow part.
    const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.leafKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    this.leafPublic = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  }

  contextFor(name: string): tls.SecureContext {
    // Minted per name and per day of the (possibly fast) clock: a date jump gets a valid certificate.
    const key = `${name}\u0000${Math.floor(Date.now() / 86_400_000)}`;
    let ctx = this.contexts.get(key);
    if (!ctx) {
      ctx = tls.createSecureContext({ key: this.leafKeyPem, cert: this.mint(name) });
      this.contexts.set(key, ctx);
    }
    return ctx;
  }

  private mint(name: string): string {
    const cert = forge.pki.createCertificate();
    cert.publicKey = this.leafPublic;
    cert.serialNumber = '01' + crypto.randomBytes(15).toString('hex');
    const now = Date.now();
    cert.validity.notBefore = new Date(now - 24 * 3600_000);
    cert.validity.notAfter = new Date(now + 90 * 24 * 3600_000);
    cert.setSubject([{ name: 'commonName', value: name.slice(0, 64) }]);
    cert.setIssuer(this.caCert.subject.attributes);
    const altName = net.isIP(name) ? { type: 7, ip: name } : { type: 2, value: name };
    cert.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [altName] },
    ]);
    cert.sign(this.caKey, forge.md.sha256.create());
    return forge.pki.certificateToPem(cert);
  }
}

/**
 * What the sandbox's extra trusted root says it is: the TLS-inspection root of a corporate proxy,
 * as installed on company laptops (its subject as Zscaler's own root carries it). A laptop that
 * trusts such a root and sees every site's certificate issued by it is ordinary; a root named
 * after an analysis tool would not be.
 */
export const CA_SUBJECT = [
  { name: 'countryName', value: 'US' },
  { name: 'stateOrProvinceName', value: 'California' },
  { name: 'localityName', value: 'San Jose' },
  { name: 'organizationName', value: 'Zscaler Inc.' },
  { name: 'organizationalUnitName', value: 'Zscaler Inc.' },
  { name: 'commonName', value: 'Zscaler Root CA' },
  { name: 'emailAddress', value: 'support@zscaler.com' },
];

const generateKeyPair = promisify(crypto.generateKeyPair);

/**
 * A fresh CA key for one analysis (host side). The sandbox trusts the certificate only. The key
 * is generated on libuv's thread pool: synchronously it held the worker's event loop ~0.2 s for
 * every pooled sandbox made, stalling the analyses running beside it.
 */
export async function createAnalysisCa(): Promise<{ certPem: string; keyPem: string }> {
  const { privateKey, publicKey } = await generateKeyPair('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '00' + crypto.randomBytes(8).toString('hex');
  // A root installed years ago and valid for decades, like the real one.
  cert.validity.notBefore = new Date('2014-12-19T00:44:57Z');
  cert.validity.notAfter = new Date('2042-10-04T00:44:57Z');
  cert.setSubject(CA_SUBJECT);
  cert.setIssuer(CA_SUBJECT);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}
