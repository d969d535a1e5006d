package io.coedge.planner;

import java.util.List;

/**
 * Live measurements the {@link Replanner} reads: which devices are in the cluster now, and what each
 * achieved over the last inference(s). The transport implements it from its Agrona counters; tests
 * simulate it.
 */
@FunctionalInterface
public interface LiveCounters {
    /**
     * One device's latest measurements.
     *
     * @param device                 the device's name (as in its {@link DeviceProfile})
     * @param flopsPerSecond         FLOPs of its band divided by the time it spent computing them over
     *                               the last inference; NaN when it computed nothing (zero rows)
     * @param linkBytesPerSecond     bytes/s it received halos at; NaN when it received none
     */
    record Sample(String device, double flopsPerSecond, double linkBytesPerSecond) {
        public static Sample unmeasured(String device) {
            return new Sample(device, Double.NaN, Double.NaN);
        }
    }

    /** The devices present now (a device missing here has left) and their latest measurements. */
    List<Sample> read();
}
