package io.coedge.planner;

/**
 * What the {@link CostModel} predicts for one row split. Times in seconds, energy in joules; arrays are
 * indexed by stage then device (see {@link CostModel#stageNames()} and {@link CostModel#deviceNames()}).
 *
 * @param rows            input-map rows per device
 * @param latencySeconds  {@code sum of stageSeconds + scatterSeconds + gatherSeconds + tailSeconds}
 * @param energyJoules    energy of every device that takes part (the initiator always does)
 * @param stageSeconds    {@code T_s = max_i (compute + transfer)} per stage
 * @param computeSeconds  {@code t_cp(i, s)}
 * @param transferSeconds {@code t_tx(i, s)} (halo receive)
 * @param scatterSeconds  the slowest worker's scatter with its request cost, plus the initiator's cost of the workers
 *                        beyond the first ({@link LinkProfile#requestSeconds()} of the initiator)
 * @param gatherSeconds   that worker's gather
 * @param tailSeconds     the initiator's tail
 * @param deviceEnergy    joules per device
 * @param deviceMemory    bytes each device needs
 * @param memoryOk        every device within its budget
 */
public record Prediction(int[] rows, double latencySeconds, double energyJoules, double[] stageSeconds,
                         double[][] computeSeconds, double[][] transferSeconds, double scatterSeconds,
                         double gatherSeconds, double tailSeconds, double[] deviceEnergy, double[] deviceMemory,
                         boolean memoryOk) {

    /** Idle seconds of device {@code i} in stage {@code s}: waiting for the slowest device of the stage. */
    public double idleSeconds(int s, int i) {
        return stageSeconds[s] - computeSeconds[s][i] - transferSeconds[s][i];
    }

    /** Whether the split meets {@code deadlineSeconds} (with a relative tolerance of 1e-9) and memory. */
    public boolean feasible(double deadlineSeconds) {
        return memoryOk && latencySeconds <= deadlineSeconds * (1 + 1e-9) + 1e-12;
    }

    public double latencyMs() {
        return latencySeconds * 1e3;
    }
}
