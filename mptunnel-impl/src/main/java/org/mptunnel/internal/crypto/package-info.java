/**
 * Internal: no compatibility promise. Protocol version 2's cryptography (docs/PROTOCOL.md,
 * "Protocol v2"): thin wrappers over the JDK's ChaCha20-Poly1305 and AES-256-GCM ({@link Aead}),
 * X25519 ({@link X25519}) and HMAC-SHA256 / HKDF ({@link Hkdf}); the handshake over them
 * ({@link Handshake}) and one session's transport keys ({@link Transport}), socket-free. Not yet
 * used by the engines (docs/ARCHITECTURE.md says how they will be). Nothing here logs, and
 * nothing here puts key material in a string.
 */
package org.mptunnel.internal.crypto;
