package io.coedge.planner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fast path (LP relaxation, rounding, repair, device elimination) against the exact MILP on seeded
 * random instances of one to four devices.
 */
class PlannerOptimalityGapTest {
    static final int INSTANCES = 1000;

    @Test
    void fastPathIsFeasibleWheneverTheMilpIsAndWithinThreePercentOfItsEnergy() {
        gapDistribution("", INSTANCES, new Random(20260611), RandomInstances::model);
    }

    /** The same on shaped links (a burst per link: the scatter and gather costs are piecewise linear). */
    @Test
    void theSameOnLinksWithABurst() {
        gapDistribution("links with a burst: ", 300, new Random(20261126), RandomInstances::modelWithBursts);
    }

    /** The same on branched models, where halos in flight together queue on the links. */
    @Test
    void theSameOnBranchedModels() {
        gapDistribution("branched models: ", 300, new Random(20261127), RandomInstances::modelWithBranches);
    }

    interface Instances {
        CostModel model(Random rnd, int devices, int h);
    }

    private static void gapDistribution(String label, int instances, Random rnd, Instances source) {
        List<Double> gaps = new ArrayList<>();
        int milpFeasible = 0;
        int fastFeasibleWhenMilp = 0;
        int tightDeadlines = 0;
        for (int k = 0; k < instances; k++) {
            int n = 1 + rnd.nextInt(4);
            int h = 8 + rnd.nextInt(41);
            CostModel m = source.model(rnd, n, h);
            Planner p = new Planner(m);
            PlanResult exactLatency = p.exact(Planner.Objective.LATENCY, Double.POSITIVE_INFINITY);
            // deadlines from just below the minimum latency (infeasible) to well above it
            double factor = 0.9 + rnd.nextDouble() * 1.6;
            double deadline = exactLatency.latencySeconds() * factor;
            tightDeadlines += factor < 1 ? 1 : 0;
            PlanResult milp = p.exact(Planner.Objective.ENERGY, deadline);
            PlanResult fast = p.plan(Planner.Objective.ENERGY, deadline);
            if (!milp.feasible()) {
                assertThat(factor).as("instance %d: the MILP misses a deadline above its own minimum latency", k)
                        .isLessThan(1.0 + 1e-9);
                continue;
            }
            milpFeasible++;
            assertThat(fast.feasible()).as("instance %d (%d devices, H=%d): fast path infeasible, MILP rows %s", k, n, h,
                    Arrays.toString(milp.rows())).isTrue();
            fastFeasibleWhenMilp++;
            double gap = (fast.energyJoules() - milp.energyJoules()) / milp.energyJoules();
            gaps.add(gap);
            assertThat(gap).as("instance %d: fast %s vs MILP %s", k, Arrays.toString(fast.rows()),
                    Arrays.toString(milp.rows())).isLessThanOrEqualTo(0.03);
        }
        double[] g = gaps.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double mean = Arrays.stream(g).average().orElse(0);
        System.out.printf(Locale.ROOT, "%soptimality gap over %d feasible of %d instances (%d with deadline below the"
                        + " minimum latency): min %.6f%%, mean %.6f%%, median %.6f%%, p95 %.6f%%, max %.6f%%, exact matches %d%n",
                label, milpFeasible, instances, tightDeadlines, g[0] * 100, mean * 100, g[g.length / 2] * 100,
                g[(int) Math.floor(0.95 * (g.length - 1))] * 100, g[g.length - 1] * 100,
                Arrays.stream(g).filter(x -> x <= 1e-9).count());
        assertThat(milpFeasible).isGreaterThan(instances / 2);
        assertThat(fastFeasibleWhenMilp).isEqualTo(milpFeasible);
    }

    @Test
    void milpMatchesExhaustiveEnumerationOnSmallInstances() {
        milpAgainstEnumeration(new Random(7), RandomInstances::model);
    }

    @Test
    void milpMatchesExhaustiveEnumerationOnLinksWithABurst() {
        milpAgainstEnumeration(new Random(11), RandomInstances::modelWithBursts);
    }

    @Test
    void milpMatchesExhaustiveEnumerationOnBranchedModels() {
        milpAgainstEnumeration(new Random(13), RandomInstances::modelWithBranches);
    }

    private static void milpAgainstEnumeration(Random rnd, Instances source) {
        for (int k = 0; k < 60; k++) {
            int n = 1 + rnd.nextInt(3);
            int h = 4 + rnd.nextInt(13);
            CostModel m = source.model(rnd, n, h);
            Planner p = new Planner(m);
            double deadline = p.exact(Planner.Objective.LATENCY, Double.POSITIVE_INFINITY).latencySeconds()
                    * (1 + rnd.nextDouble());
            double best = enumerate(p, new int[n], 0, h, deadline);
            PlanResult milp = p.exact(Planner.Objective.ENERGY, deadline);
            assertThat(milp.feasible()).isTrue();
            assertThat(milp.energyJoules()).as("instance %d", k).isCloseTo(best, org.assertj.core.api.Assertions.within(best * 1e-7));
        }
    }

    private static double enumerate(Planner p, int[] rows, int i, int left, double deadline) {
        if (i == rows.length - 1) {
            rows[i] = left;
            double[] q = p.quick(rows);
            return q[2] == 0 && q[0] <= deadline * (1 + 1e-9) ? q[1] : Double.POSITIVE_INFINITY;
        }
        double best = Double.POSITIVE_INFINITY;
        for (int v = 0; v <= left; v++) {
            rows[i] = v;
            best = Math.min(best, enumerate(p, rows, i + 1, left - v, deadline));
        }
        return best;
    }
}
