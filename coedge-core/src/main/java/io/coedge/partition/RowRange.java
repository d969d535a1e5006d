package io.coedge.partition;

/**
 * A half-open range of rows {@code [start, end)} of one feature map. An empty range has
 * {@code start == end}; empty ranges compare equal only when their bounds are equal, so code that
 * cares uses {@link #isEmpty()}.
 */
public record RowRange(int start, int end) {
    /** The canonical empty range. */
    public static final RowRange EMPTY = new RowRange(0, 0);

    public RowRange {
        if (end < start) {
            throw new IllegalArgumentException("row range [" + start + ", " + end + ") ends before it starts");
        }
    }

    /** {@code [start, end)}, or {@link #EMPTY} when {@code end <= start}. */
    public static RowRange of(int start, int end) {
        return end <= start ? EMPTY : new RowRange(start, end);
    }

    public int size() {
        return end - start;
    }

    public boolean isEmpty() {
        return end == start;
    }

    public boolean contains(RowRange other) {
        return other.isEmpty() || (!isEmpty() && other.start >= start && other.end <= end);
    }

    /** The smallest range covering both (an empty range does not widen the other). */
    public RowRange hull(RowRange other) {
        if (isEmpty()) {
            return other.isEmpty() ? EMPTY : other;
        }
        if (other.isEmpty()) {
            return this;
        }
        return new RowRange(Math.min(start, other.start), Math.max(end, other.end));
    }

    public RowRange intersect(RowRange other) {
        return of(Math.max(start, other.start), Math.min(end, other.end));
    }

    /** This range clipped to {@code [0, height)}. */
    public RowRange clip(int height) {
        return of(Math.max(0, start), Math.min(height, end));
    }

    @Override
    public String toString() {
        return isEmpty() ? "[)" : "[" + start + ", " + end + ")";
    }
}
