// The DOM lib's KeyUsage, which @cloudflare/workers-types lacks: the core's webhook signing names it.
type KeyUsage = 'encrypt' | 'decrypt' | 'sign' | 'verify' | 'deriveKey' | 'deriveBits' | 'wrapKey' | 'unwrapKey';
