package io.coedge.partition;

/**
 * One message of a partitioned inference, fixed by the geometry at plan time: who sends which rows of
 * which value to whom. The same list of transfers drives the in-process exchange, the Aeron transport
 * and the accounting, so predicted and counted bytes agree.
 *
 * <p>For {@link Kind#HALO}, {@link Kind#SCATTER} and {@link Kind#GATHER} the payload is rows
 * {@code [rowStart, rowEnd)} of the NHWC map {@code value}: {@code (rowEnd - rowStart) * W * C * 4}
 * contiguous bytes. For {@link Kind#PARTIAL_SUM} it is {@code C} float32 per-channel sums over the
 * sender's rows of {@code value} (the input of a global average pooling); rows are the sender's rows. For
 * {@link Kind#SLICE} it is {@code rowEnd - rowStart} float32 outputs of the head node, columns
 * {@code [rowStart, rowEnd)} of {@code value} (the head's output).
 *
 * @param id       index in {@link Geometry#transfers()}; unique within one inference, dense from 0
 * @param kind     what the message is for
 * @param value    name of the graph value whose rows travel
 * @param stage    index of the graph node the bytes are attributed to (the producer of {@code value};
 *                 for the graph input, the first node reading it)
 * @param from     sending device index in the plan
 * @param to       receiving device index in the plan
 * @param rowStart first row (inclusive) of the full map
 * @param rowEnd   last row (exclusive)
 * @param bytes    payload size
 */
public record Transfer(int id, Kind kind, String value, int stage, int from, int to, int rowStart, int rowEnd,
                       long bytes) {
    /** What a transfer carries. */
    public enum Kind {
        /** Input rows from the initiator (the tail device) to a device, halo included. */
        SCATTER,
        /** Boundary rows of a split layer output from their owner to a neighbour that needs them. */
        HALO,
        /**
         * A device's own rows of a map the tail reads, to the tail device; with a split head
         * ({@link Plan#headSplit()}), to every other device computing a slice of the head.
         */
        GATHER,
        /** Per-channel partial sums of a global pooling, to the tail device. */
        PARTIAL_SUM,
        /**
         * A device's slice of the output of the split head (columns {@code [rowStart, rowEnd)}, output
         * neurons of the fully connected layer), to the tail device.
         */
        SLICE
    }

    public RowRange rows() {
        return RowRange.of(rowStart, rowEnd);
    }
}
