package io.coedge.planner;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GapProbeTest {
    static double[] brute(Planner p, int n, int h, double d) {
        double best = Double.POSITIVE_INFINITY;
        int[] r = new int[n];
        double[] out = {Double.POSITIVE_INFINITY};
        rec(p, r, 0, h, d, out);
        return out;
    }

    static void rec(Planner p, int[] r, int i, int left, double d, double[] out) {
        if (i == r.length - 1) {
            r[i] = left;
            double[] q = p.quick(r);
            if (q[2] == 0 && q[0] <= d * (1 + 1e-9)) {
                out[0] = Math.min(out[0], q[1]);
            }
            return;
        }
        for (int v = 0; v <= left; v++) {
            r[i] = v;
            rec(p, r, i + 1, left - v, d, out);
        }
    }

    @Test
    void probe() {
        Random rnd = new Random(1);
        int worse = 0, milpBad = 0, milpNull = 0;
        double max = 0;
        long tFast = 0, tExact = 0, tSingle = 0;
        int N = Integer.getInteger("probe.n", 100);
        for (int k = 0; k < N; k++) {
            int n = 1 + rnd.nextInt(4);
            int h = 8 + rnd.nextInt(40);
            CostModel m = RandomInstances.model(rnd, n, h);
            Planner p = new Planner(m);
            double lmin = p.latencyMinimal(1e9).latencySeconds();
            double d = lmin * (1 + rnd.nextDouble() * 1.5);
            long t0 = System.nanoTime();
            PlanResult f = p.plan(Planner.Objective.ENERGY, d);
            long t1 = System.nanoTime();
            int[] single = p.exactSingleModel(Planner.Objective.ENERGY, d);
            long t2 = System.nanoTime();
            double bf = brute(p, n, h, d)[0];
            tFast += t1 - t0;
            tSingle += t2 - t1;
            if (single == null) {
                milpNull++;
                System.out.println("milp null k=" + k);
            } else {
                double[] q = p.quick(single);
                if (Math.abs(q[1] - bf) > 1e-6 * bf || q[0] > d * (1 + 1e-9)) {
                    milpBad++;
                    System.out.printf("milp off k=%d %s E=%.6f bf=%.6f L=%.6f D=%.6f%n", k, Arrays.toString(single), q[1], bf, q[0], d);
                }
            }
            double gap = (f.energyJoules() - bf) / bf;
            if (gap > 0.03 || gap < -1e-6) {
                worse++;
                System.out.printf("k=%d n=%d gap=%.4f fast=%s%n", k, n, gap, Arrays.toString(f.rows()));
            }
            max = Math.max(max, gap);
        }
        System.out.println("milp failures " + Planner.MILP_FAILURES.get() + " null " + milpNull + " bad " + milpBad);
        System.out.printf("worse=%d max=%.4f fast=%.2fms single=%.2fms%n", worse, max, tFast / N / 1e6, tSingle / N / 1e6);
    }
}
