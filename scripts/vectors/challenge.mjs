// Ownership-challenge test vectors made with Node's own crypto (Ed25519),
// independently of the Go code that checks them.
// Run: node scripts/vectors/challenge.mjs > domain/testdata/challenge-js-vectors.json
import crypto from "node:crypto";

const prefix = "pfn-ownership-challenge/v1 ";
const vectors = [];
for (let i = 0; i < 3; i++) {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(12);
  const challenge = prefix + crypto.randomBytes(32).toString("hex");
  const signature = crypto.sign(null, Buffer.from(challenge, "utf8"), privateKey);
  vectors.push({
    public_key_raw_base64: raw.toString("base64"),
    challenge,
    signature: signature.toString("base64"),
  });
}
console.log(JSON.stringify({
  generator: `node ${process.version} crypto.sign(null, Buffer.from(challenge, "utf8"), ed25519 key)`,
  vectors,
}, null, 2));
