package io.coedge.planner;

/**
 * Measures one round trip to a device: send {@code payloadBytes} and wait for a short reply. The
 * transport provides the real implementation; tests pass a function.
 */
@FunctionalInterface
public interface LinkProbe {
    /**
     * @return the round-trip time in seconds for one message of {@code payloadBytes} to
     *         {@code device} and a short acknowledgement back
     */
    double roundTripSeconds(String device, int payloadBytes);
}
