package io.coedge.transport.runtime;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What to deploy: a model from the built-in zoo (by name and weight seed: nothing but the name travels),
 * a model registered in-process by name (tests, applications that build graphs in code), or ONNX bytes.
 * The hash identifies the model: a worker that already holds a model with this hash skips the transfer.
 *
 * @param kind  how the worker gets the graph
 * @param name  zoo or registry name; for ONNX a label for logs
 * @param seed  weight seed for zoo models (0 = the zoo's default weights)
 * @param bytes ONNX file bytes (empty for the other kinds)
 * @param sha256 SHA-256 identifying the model (of the bytes for ONNX, of "kind:name:seed" otherwise)
 */
public record ModelSpec(Kind kind, String name, long seed, byte[] bytes, byte[] sha256) {
    /** How a worker obtains the graph. */
    public enum Kind {
        ZOO(1), REGISTERED(2), ONNX(3);

        final int code;

        Kind(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Kind ofCode(int c) {
            for (Kind k : values()) {
                if (k.code == c) {
                    return k;
                }
            }
            return null;
        }
    }

    /** A zoo model ("alexnet", "vgg16", "resnet18", "googlenet"). */
    public static ModelSpec zoo(String name, long seed) {
        return new ModelSpec(Kind.ZOO, name, seed, new byte[0], sha256(("zoo:" + name + ":" + seed).getBytes(StandardCharsets.UTF_8)));
    }

    /** A model registered with {@link Models#register} on every process under {@code name}. */
    public static ModelSpec registered(String name) {
        return new ModelSpec(Kind.REGISTERED, name, 0, new byte[0], sha256(("registered:" + name).getBytes(StandardCharsets.UTF_8)));
    }

    /** An ONNX model given as its file bytes. */
    public static ModelSpec onnx(String label, byte[] bytes) {
        return new ModelSpec(Kind.ONNX, label, 0, bytes.clone(), sha256(bytes));
    }

    public String hashHex() {
        return HexFormat.of().formatHex(sha256);
    }

    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase() + ":" + name + (kind == Kind.ZOO ? ":" + seed : "") + " (" + hashHex().substring(0, 12) + ")";
    }
}
