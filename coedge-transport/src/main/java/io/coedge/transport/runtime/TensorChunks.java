package io.coedge.transport.runtime;

import io.coedge.tensor.Layout;
import io.coedge.tensor.Shapes;
import io.coedge.tensor.Tensor;
import io.coedge.transport.ControlPublisher;
import io.coedge.transport.protocol.BodyReader;
import io.coedge.transport.protocol.ControlHeader;
import io.coedge.transport.protocol.MessageType;
import java.lang.foreign.Arena;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A tensor carried in control messages (INFER input, RESULT output), chunked to the control message size.
 *
 * <pre>
 * body: layout int32 (0 row-major, 1 NHWC) | rank int32 | dims int32[rank] | totalBytes int64 |
 *       chunkOffset int64 | chunk (int32 length + bytes, in the tensor's memory order)
 * </pre>
 * The last chunk has {@link ControlHeader#FLAG_LAST_CHUNK}.
 */
public final class TensorChunks {
    /**
     * Upper bound on a tensor sent or received in control messages (refuses absurd sizes before allocating): the
     * largest an Agrona buffer over it can address, 2 GiB less one byte.
     */
    public static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE;
    private static final int MAX_RANK = 8;

    private TensorChunks() {
    }

    /** Sends {@code t} in as many messages as needed; returns {@link ControlPublisher#SENT} or the failure code. */
    public static int send(ControlPublisher pub, MessageType type, long planVersion, long requestId, Tensor t) {
        int[] shape = t.shape();
        long total = t.byteSize();
        if (total > MAX_TENSOR_BYTES) {
            throw new IllegalArgumentException("a tensor of " + total + " bytes is over the " + MAX_TENSOR_BYTES
                    + " bytes a request or result may carry");
        }
        int fixed = 4 + 4 + 4 * shape.length + 8 + 8 + 4;
        int maxChunk = pub.maxBodyBytes() - fixed;
        UnsafeBuffer src = new UnsafeBuffer(t.segment().address(), (int) total);
        long at = 0;
        do {
            int chunk = (int) Math.min(maxChunk, total - at);
            long offset = at;
            boolean last = offset + chunk == total;
            int rc = pub.send(type, last ? ControlHeader.FLAG_LAST_CHUNK : 0, planVersion, requestId, w -> {
                w.putInt(t.layout() == Layout.NHWC ? 1 : 0).putInt(shape.length);
                for (int d : shape) {
                    w.putInt(d);
                }
                w.putLong(total).putLong(offset).putBytes(src, (int) offset, chunk);
            });
            if (rc != ControlPublisher.SENT) {
                return rc;
            }
            at += chunk;
        } while (at < total);
        return ControlPublisher.SENT;
    }

    /** Reassembles one tensor from its chunks; rejects chunks that disagree with the first or overlap the end. */
    public static final class Assembly {
        private final Arena arena;
        private Tensor tensor;
        private long received;
        private boolean failed;

        public Assembly(Arena arena) {
            this.arena = arena;
        }

        /**
         * Adds one chunk read by {@code r} from {@code buffer}; returns false if the chunk is malformed (the
         * assembly is then failed).
         */
        public boolean add(BodyReader r, org.agrona.DirectBuffer buffer) {
            int layoutCode = r.getInt();
            int rank = r.getInt();
            if (!r.valid() || rank < 1 || rank > MAX_RANK || (layoutCode != 0 && layoutCode != 1)) {
                return fail();
            }
            int[] shape = new int[rank];
            for (int i = 0; i < rank; i++) {
                shape[i] = r.getInt();
                if (shape[i] < 0) {
                    return fail();
                }
            }
            long total = r.getLong();
            long offset = r.getLong();
            int at = r.skipBlock();
            int len = r.lastBlockLength();
            if (!r.complete() || at < 0) {
                return fail();
            }
            Layout layout = layoutCode == 1 ? Layout.NHWC : Layout.ROW_MAJOR;
            if (layout == Layout.NHWC && rank != 4) {
                return fail();
            }
            long bytes;
            try {
                bytes = Math.multiplyExact(Shapes.size(shape), (long) Float.BYTES);
            } catch (ArithmeticException e) {
                return fail();
            }
            if (bytes != total || total > MAX_TENSOR_BYTES || offset < 0 || offset > total - len) {
                return fail();
            }
            if (tensor == null) {
                tensor = Tensor.allocate(arena, layout, shape);
            } else if (!tensor.hasShape(shape) || tensor.layout() != layout) {
                return fail();
            }
            new UnsafeBuffer(tensor.segment().address(), (int) total).putBytes((int) offset, buffer, at, len);
            received += len;
            return received <= total || fail();
        }

        private boolean fail() {
            failed = true;
            return false;
        }

        public boolean failed() {
            return failed;
        }

        /** True when every byte arrived. */
        public boolean complete() {
            return !failed && tensor != null && received == tensor.byteSize();
        }

        public Tensor tensor() {
            return tensor;
        }
    }
}
