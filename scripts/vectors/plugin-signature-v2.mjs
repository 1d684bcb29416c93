// Plugin signature v2 test vectors made with Node's own JSON.stringify and
// crypto (Ed25519), independently of the Go code that checks them
// (TestPluginSignatureV2JSVectors in domain/).
// Run: node scripts/vectors/plugin-signature-v2.mjs > domain/testdata/plugin-signature-v2-js-vectors.json
import crypto from "node:crypto";

const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
const raw = publicKey.export({ format: "der", type: "spki" }).subarray(12);
const sha = (s) => crypto.createHash("sha256").update(s).digest("hex");

// Claims chosen for what JSON.stringify does differently from Go's
// encoding/json (<, >, &, U+2028, U+2029 left alone; control characters as
// \b \f \n \r \t or \u00xx), non-ASCII text, and sizes up to 2^53-1.
const claims = [
  { id: "plain", name: "Plain", version: "1.0.0", description: "A plain description", sha256: sha("plain"), size: 4096 },
  { id: "empty-file", name: "Empty", version: "0.0.1", description: "", sha256: sha(""), size: 0 },
  { id: "html", name: "<b>Tools</b> & more", version: "2.1.0-beta.1", description: "a < b && c > d", sha256: sha("html"), size: 1 },
  { id: "unicode", name: "Ünïcødé 插件 🧩", version: "1.2.3", description: "line\u2028para\u2029end é", sha256: sha("unicode"), size: 123456789 },
  { id: "escapes", name: "quote \" backslash \\ slash /", version: "3.0.0", description: "tab\tnl\ncr\rbs\bff\fnul\u0000us\u001fdel\u007f", sha256: sha("escapes"), size: 4294967297 },
  { id: "largest", name: "Largest", version: "9.9.9", description: "size is 2^53-1", sha256: sha("largest"), size: Number.MAX_SAFE_INTEGER },
];

const vectors = claims.map((c) => {
  // Keys in this order, exactly: the bytes a publisher signs.
  const message = JSON.stringify({ id: c.id, name: c.name, version: c.version, description: c.description, sha256: c.sha256, size: c.size });
  const signature = crypto.sign(null, Buffer.from(message, "utf8"), privateKey);
  return {
    slug: c.id,
    name: c.name,
    version: c.version,
    short_description: c.description,
    sha256: c.sha256,
    size: c.size,
    signed_message: message,
    signature_v2: signature.toString("base64"),
  };
});
console.log(JSON.stringify({
  generator: `node ${process.version} crypto.sign(null, Buffer.from(JSON.stringify({id, name, version, description, sha256, size}), "utf8"), ed25519 key)`,
  public_key_raw_base64: raw.toString("base64"),
  vectors,
}, null, 2));
