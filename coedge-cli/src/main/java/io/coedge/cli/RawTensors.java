package io.coedge.cli;

import io.coedge.tensor.Shapes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Raw tensor files: little-endian float32, logical (NCHW for rank 4) order, no header. */
final class RawTensors {
    private RawTensors() {
    }

    /** Reads a file that must hold exactly one tensor of {@code shape}. */
    static float[] read(Path file, int[] shape) {
        long expected = Shapes.size(shape) * Float.BYTES;
        if (expected > Integer.MAX_VALUE - 16) {
            throw new UserError("the model input " + Shapes.format(shape) + " is too large for a raw input file");
        }
        if (!Files.exists(file)) {
            throw new UserError("raw input file not found: " + file);
        }
        if (!Files.isRegularFile(file)) {
            throw new UserError("raw input " + file + " is not a regular file");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long actual = ch.size();
            if (actual != expected) {
                throw new UserError("raw input " + file + " has " + actual + " bytes; the model input "
                        + Shapes.format(shape) + " as little-endian float32 needs " + expected + " bytes");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) expected).order(ByteOrder.LITTLE_ENDIAN);
            while (buf.hasRemaining()) {
                if (ch.read(buf) < 0) {
                    throw new UserError("raw input " + file + " ended early (it changed while being read)");
                }
            }
            buf.flip();
            float[] out = new float[(int) (expected / Float.BYTES)];
            buf.asFloatBuffer().get(out);
            return out;
        } catch (IOException e) {
            throw new UserError("cannot read raw input " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code values} as little-endian float32, replacing the file. */
    static void write(Path file, float[] values) {
        ByteBuffer buf = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(values);
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new UserError("cannot write " + file + ": folder " + parent + " does not exist");
            }
            Files.write(file, buf.array());
        } catch (IOException e) {
            throw new UserError("cannot write " + file + ": " + e, e);
        }
    }
}
