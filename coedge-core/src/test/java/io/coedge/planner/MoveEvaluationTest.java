package io.coedge.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class MoveEvaluationTest {
    @Test
    void incrementalMoveEvaluationEqualsAFullEvaluation() {
        Random rnd = new Random(3);
        for (int k = 0; k < 200; k++) {
            int n = 2 + rnd.nextInt(6);
            int h = 16 + rnd.nextInt(60);
            // every other instance branched: halos that queue behind earlier ones
            Planner p = new Planner(k % 2 == 0 ? RandomInstances.model(rnd, n, h) : RandomInstances.modelWithBranches(rnd, n, h));
            int[] rows = new int[n];
            for (int r = 0; r < h; r++) {
                rows[rnd.nextInt(n)]++;
            }
            for (int i = 0; i < n; i++) {
                if (rows[i] == 0) {
                    rows[i]++;
                    int j = 0;
                    while (rows[j] <= 1) {
                        j++;
                    }
                    rows[j]--;
                }
            }
            int from = rnd.nextInt(n), to = (from + 1 + rnd.nextInt(n - 1)) % n;
            if (rows[from] <= 1) {
                continue;
            }
            int step = 1 + rnd.nextInt(rows[from] - 1);
            double[] fast = p.evaluateMove(rows, from, to, step);
            int[] moved = rows.clone();
            moved[from] -= step;
            moved[to] += step;
            double[] full = p.quick(moved);
            assertThat(fast[0]).as("latency, instance %d", k).isCloseTo(full[0], within(1e-9 * full[0]));
            assertThat(fast[1]).as("energy, instance %d", k).isCloseTo(full[1], within(1e-9 * full[1]));
            assertThat(fast[2]).as("memory excess, instance %d", k).isCloseTo(full[2], within(1e-3));
        }
    }
}
