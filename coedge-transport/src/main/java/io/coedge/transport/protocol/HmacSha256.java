package io.coedge.transport.protocol;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * HMAC-SHA256 (RFC 2104) over one {@link MessageDigest}, writing the MAC into the caller's array. The same MAC as
 * {@code javax.crypto.Mac} "HmacSHA256" with the same key; unlike it, {@link #doFinal} allocates nothing (the JDK's
 * Mac returns the inner digest in a new array on every message, and the control path signs several per
 * inference). Not thread-safe: one per owning thread, like a Mac.
 */
public final class HmacSha256 {
    /** Bytes of a MAC. */
    public static final int LENGTH = 32;
    private static final int BLOCK = 64;

    private final MessageDigest sha256;
    private final byte[] innerPad = new byte[BLOCK];
    private final byte[] outerPad = new byte[BLOCK];
    private final byte[] inner = new byte[LENGTH];

    /** A MAC keyed with {@code key} (any length; keys longer than a block are hashed first, as RFC 2104 says). */
    public HmacSha256(byte[] key) {
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
        byte[] k = key.length > BLOCK ? sha256.digest(key) : key;
        for (int i = 0; i < BLOCK; i++) {
            byte b = i < k.length ? k[i] : 0;
            innerPad[i] = (byte) (b ^ 0x36);
            outerPad[i] = (byte) (b ^ 0x5c);
        }
        if (k != key) {
            Arrays.fill(k, (byte) 0);
        }
        reset();
    }

    /** Starts a new message. */
    public void reset() {
        sha256.reset();
        sha256.update(innerPad);
    }

    public void update(byte[] data, int offset, int length) {
        sha256.update(data, offset, length);
    }

    /** Writes the MAC of the message so far to {@code into[offset .. offset + 32)} and starts a new message. */
    public void doFinal(byte[] into, int offset) {
        try {
            sha256.digest(inner, 0, LENGTH);
            sha256.update(outerPad);
            sha256.update(inner);
            sha256.digest(into, offset, LENGTH);
        } catch (DigestException e) {
            throw new IllegalStateException(e); // only for an output array too small, which the callers never pass
        }
        reset();
    }
}
