package io.coedge.transport.protocol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret shared by every member of a cluster. It authenticates control messages (HMAC-SHA256) and
 * never travels: each process reads it from its own key file.
 *
 * <p>The key file's bytes, with trailing whitespace removed, are the key; at least
 * {@value #MIN_KEY_BYTES} bytes. A good one: {@code head -c 32 /dev/urandom | base64 > cluster.key}.
 */
public final class ClusterKey {
    /** Keys shorter than this are refused. */
    public static final int MIN_KEY_BYTES = 16;

    private static final byte[] DEVELOPMENT_KEY =
            "coedge-development-key-not-secret".getBytes(StandardCharsets.US_ASCII);

    private final SecretKeySpec spec;
    private final boolean development;

    private ClusterKey(byte[] key, boolean development) {
        this.spec = new SecretKeySpec(key, "HmacSHA256");
        this.development = development;
    }

    /** Reads the key from {@code file}; a missing, unreadable or short file is a clear error. */
    public static ClusterKey fromFile(Path file) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("cluster key file " + file + " does not exist; create one with: "
                    + "head -c 32 /dev/urandom | base64 > " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read cluster key file " + file + ": " + e.getMessage());
        }
        int n = raw.length;
        while (n > 0 && Character.isWhitespace(raw[n - 1])) {
            n--;
        }
        if (n < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("cluster key file " + file + " holds " + n + " bytes; it needs at least "
                    + MIN_KEY_BYTES + " (e.g. head -c 32 /dev/urandom | base64 > " + file + ")");
        }
        return new ClusterKey(Arrays.copyOf(raw, n), false);
    }

    /** A key from bytes (tests, or a key held in a secret store by the application). */
    public static ClusterKey of(byte[] key) {
        if (key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("a cluster key needs at least " + MIN_KEY_BYTES + " bytes, got " + key.length);
        }
        return new ClusterKey(key.clone(), false);
    }

    /**
     * The well-known key used when no key file is given. It only keeps apart clusters that were started
     * by mistake on the same ports; it is no protection. Workers print a warning when they use it.
     */
    public static ClusterKey development() {
        return new ClusterKey(DEVELOPMENT_KEY, true);
    }

    /** {@code file} when given, else the development key. */
    public static ClusterKey fromFileOrDevelopment(Path fileOrNull) {
        return fileOrNull == null ? development() : fromFile(fileOrNull);
    }

    /** True when this is the public development key. */
    public boolean isDevelopment() {
        return development;
    }

    /** A new MAC instance keyed with this key. Mac is not thread-safe: one per owning thread. */
    public Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(spec);
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    /** A new HMAC-SHA256 keyed with this key, allocation-free per message; one per owning thread. */
    public HmacSha256 newHmac() {
        return new HmacSha256(spec.getEncoded());
    }

    /** A short, non-secret fingerprint of the key (first 8 hex digits of SHA-256 of an HMAC) for logs. */
    public String fingerprint() {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(newMac().doFinal("fingerprint".getBytes(StandardCharsets.US_ASCII)));
            return java.util.HexFormat.of().formatHex(d, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
