package io.coedge.planner;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The strategies CoEdge is compared against, evaluated under the same {@link CostModel}: the initiator
 * alone, an equal split over every device, a split proportional to each device's effective compute rate
 * (MoDNN-style), and the latency-minimal plan.
 */
public final class Baselines {
    /** Strategy names in report order. */
    public static final List<String> NAMES = List.of("coedge", "local", "equal", "proportional", "latency");

    private Baselines() {
    }

    public static PlanResult local(CostModel m, double deadlineSeconds) {
        int[] r = new int[m.deviceCount()];
        r[m.initiatorIndex()] = m.inputRows();
        return evaluate("local", m, r, deadlineSeconds);
    }

    public static PlanResult equal(CostModel m, double deadlineSeconds) {
        double[] w = new double[m.deviceCount()];
        java.util.Arrays.fill(w, 1);
        return evaluate("equal", m, apportion(w, m.inputRows()), deadlineSeconds);
    }

    /**
     * Rows proportional to each device's effective rate over the row-split layers (its FLOPs divided by
     * the time the device needs for them), as MoDNN balances by compute capability. Ignores links.
     */
    public static PlanResult proportional(CostModel m, double deadlineSeconds) {
        double[] w = new double[m.deviceCount()];
        for (int i = 0; i < w.length; i++) {
            double secondsPerRow = 0;
            for (double[] stage : m.cp) {
                secondsPerRow += stage[i];
            }
            w[i] = secondsPerRow > 0 ? 1 / secondsPerRow : 1;
        }
        return evaluate("proportional", m, apportion(w, m.inputRows()), deadlineSeconds);
    }

    /** All strategies in {@link #NAMES} order: the planner's plan for {@code objective}, then the baselines. */
    public static List<PlanResult> all(CostModel m, double deadlineSeconds, Planner.Objective objective) {
        Planner p = new Planner(m);
        List<PlanResult> out = new ArrayList<>();
        out.add(p.plan(objective, deadlineSeconds).withStrategy("coedge"));
        out.add(local(m, deadlineSeconds));
        out.add(equal(m, deadlineSeconds));
        out.add(proportional(m, deadlineSeconds));
        out.add(p.latencyMinimal(deadlineSeconds));
        return out;
    }

    /**
     * One strategy by name, for {@code coedge run --strategy}: coedge (the planner under
     * {@code objective}), local, equal, proportional or latency.
     *
     * @throws IllegalArgumentException for another name, listing the known ones
     */
    public static PlanResult byName(String name, CostModel m, double deadlineSeconds, Planner.Objective objective) {
        return switch (name.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "coedge" -> new Planner(m).plan(objective, deadlineSeconds).withStrategy("coedge");
            case "local" -> local(m, deadlineSeconds);
            case "equal" -> equal(m, deadlineSeconds);
            case "proportional" -> proportional(m, deadlineSeconds);
            case "latency" -> new Planner(m).latencyMinimal(deadlineSeconds);
            default -> throw new IllegalArgumentException("unknown strategy '" + name + "'; use one of " + String.join(", ", NAMES));
        };
    }

    static PlanResult evaluate(String name, CostModel m, int[] rows, double deadline) {
        Prediction p = m.predict(rows);
        String note = !p.memoryOk() ? "exceeds a device's memory budget"
                : p.feasible(deadline) ? "" : String.format(Locale.ROOT, "misses the deadline by %.3f ms",
                        (p.latencySeconds() - deadline) * 1e3);
        return new PlanResult(name, rows, p, p.feasible(deadline), note);
    }

    /** Largest-remainder apportionment of {@code total} rows by weights. */
    public static int[] apportion(double[] weights, int total) {
        double sum = 0;
        for (double w : weights) {
            sum += w;
        }
        int[] r = new int[weights.length];
        double[] frac = new double[weights.length];
        int given = 0;
        for (int i = 0; i < r.length; i++) {
            double exact = weights[i] / sum * total;
            r[i] = (int) Math.floor(exact);
            frac[i] = exact - r[i];
            given += r[i];
        }
        while (given < total) {
            int bi = 0;
            for (int i = 1; i < r.length; i++) {
                if (frac[i] > frac[bi]) {
                    bi = i;
                }
            }
            r[bi]++;
            frac[bi] = -1;
            given++;
        }
        return r;
    }
}
