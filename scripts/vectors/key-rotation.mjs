// Key-rotation test vectors made with Node's own crypto (Ed25519),
// independently of the Go code that checks them. Each vector's current key
// is a throwaway test key: its seed is included so that Go can show it
// makes the same signature (Ed25519 signing is deterministic).
// Run: node scripts/vectors/key-rotation.mjs > domain/testdata/key-rotation-js-vectors.json
import crypto from "node:crypto";

const prefix = "pfn-key-rotation/v1 ";
const raw = (publicKey) => publicKey.export({ format: "der", type: "spki" }).subarray(12);
const sources = [
  ["https://plugins.example.com", "plugin-author"],
  ["http://127.0.0.1:8090", "solo"],
  ["https://example.org/pfn/publisher", "J\u00f6rg"],
];
const vectors = sources.map(([instanceURL, username]) => {
  const current = crypto.generateKeyPairSync("ed25519");
  const next = crypto.generateKeyPairSync("ed25519");
  const message = prefix + raw(next.publicKey).toString("base64") + " " + instanceURL + " " + username;
  const signature = crypto.sign(null, Buffer.from(message, "utf8"), current.privateKey);
  return {
    instance_url: instanceURL,
    username,
    current_public_key_raw_base64: raw(current.publicKey).toString("base64"),
    current_seed_base64: current.privateKey.export({ format: "der", type: "pkcs8" }).subarray(16).toString("base64"),
    new_public_key_raw_base64: raw(next.publicKey).toString("base64"),
    message,
    signature: signature.toString("base64"),
  };
});
console.log(JSON.stringify({
  generator: `node ${process.version} crypto.sign(null, Buffer.from(message, "utf8"), ed25519 key)`,
  vectors,
}, null, 2));
