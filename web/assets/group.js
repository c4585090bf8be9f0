// The one piece of @noble/curves the site serves: edwards25519's point and scalar arithmetic, for the
// commission's joint key (docs/keys.md section 2). scripts/bootstrap bundles this file with esbuild into
// web/static/vendor/noble-ed25519.js, since the site has no bundler of its own.
export { ed25519 } from "@noble/curves/ed25519.js";
