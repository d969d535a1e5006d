package io.coedge.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.coedge.graph.Graph;
import io.coedge.graph.GraphBuilder;
import io.coedge.ops.Conv;
import io.coedge.ops.Unary;
import io.coedge.partition.Geometry;
import io.coedge.partition.Plan;
import io.coedge.partition.Sync;
import io.coedge.zoo.ModelZoo;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A cost model built from a graph charges each plan the halo bytes its band boundaries cause, and the rows it computes. */
class PlanHalosTest {
    private static final double BANDWIDTH = 1e6;
    private static final double EXCHANGE = 0.002;
    /** One row of an 8-channel, 8-wide map. */
    private static final double ROW_BYTES = 8 * 8 * 4;

    private static DeviceProfile device(String name, double rate) {
        Map<LayerType, Double> r = new EnumMap<>(LayerType.class);
        r.put(LayerType.CONV3X3, rate);
        r.put(LayerType.OTHER, rate);
        return new DeviceProfile(name, "", r, 1L << 30, 1, 3, 2, new LinkProfile(BANDWIDTH, EXCHANGE), Map.of());
    }

    private static DeviceProfiles.Cluster cluster() {
        return new DeviceProfiles.Cluster(List.of(device("a", 1e8), device("b", 1e9)), "a");
    }

    /** Input 4x16x8, then 3x3 convs to 8 channels with the strides given (padding 1). */
    private static Graph chain(int... strides) {
        GraphBuilder b = new GraphBuilder("chain");
        String x = b.input("input", 1, 4, 16, 8);
        int c = 4;
        for (int i = 0; i < strides.length; i++) {
            String w = b.constant("w" + i, new float[8 * c * 9], 8, c, 3, 3);
            x = b.node("conv" + i, Conv.of(3, strides[i], 1, 1), x, w);
            if (i == 0) {
                x = b.node("relu" + i, Unary.relu(), x);
            }
            c = 8;
        }
        return b.output(x).build();
    }

    @Test
    void aStrideOneChainGetsTheEvenSplitsHalosButNoneAtTheInputWhoseRowsTheScatterCarries() {
        Graph g = chain(1, 1, 1);
        CostModel byPlan = new CostModel(g, cluster());
        CostModel even = new CostModel(LayerCostTable.fromGraph(g), cluster());
        assertThat(byPlan.chargesPlanHalos()).isTrue();
        assertThat(even.chargesPlanHalos()).isFalse();
        for (int[] rows : new int[][] {{8, 8}, {3, 13}, {11, 5}}) {
            Prediction p = byPlan.predict(rows);
            Prediction q = even.predict(rows);
            // one row each way at the two later convs, as the even split charges it
            for (int s = 1; s < 3; s++) {
                assertThat(p.transferSeconds()[s]).containsExactly(new double[] {EXCHANGE + ROW_BYTES / BANDWIDTH,
                        EXCHANGE + ROW_BYTES / BANDWIDTH}, within(1e-12));
                assertThat(p.stageSeconds()[s]).isCloseTo(q.stageSeconds()[s], within(1e-12));
            }
            // the first conv's halo rows come with each device's input band
            assertThat(q.transferSeconds()[0][0]).isPositive();
            assertThat(p.transferSeconds()[0]).containsExactly(0, 0);
            assertThat(p.stageSeconds()[0]).isCloseTo(Math.max(p.computeSeconds()[0][0], p.computeSeconds()[0][1]),
                    within(1e-12));
        }
    }

    @Test
    void aStrideTwoWindowAtAnEvenBoundaryReadsRowsFromTheBandAboveOnly() {
        Graph g = chain(1, 2);
        CostModel byPlan = new CostModel(g, cluster());
        CostModel even = new CostModel(LayerCostTable.fromGraph(g), cluster());
        // output rows 0..3 read input rows up to 7, a's own; b's first output row 4 reads rows 7..9
        Prediction p = byPlan.predict(new int[] {8, 8});
        assertThat(p.transferSeconds()[1][0]).isZero();
        assertThat(p.transferSeconds()[1][1]).isCloseTo(EXCHANGE + ROW_BYTES / BANDWIDTH, within(1e-12));
        // the even split charges both half of the window's one halo row, and the exchange
        Prediction q = even.predict(new int[] {8, 8});
        assertThat(q.transferSeconds()[1]).containsExactly(new double[] {EXCHANGE + ROW_BYTES / 2 / BANDWIDTH,
                EXCHANGE + ROW_BYTES / 2 / BANDWIDTH}, within(1e-12));
        // and a's transmit power for it
        assertThat(q.deviceEnergy()[0]).isGreaterThan(p.deviceEnergy()[0]);
    }

    @Test
    void aDeviceIsChargedTheRowsItComputesAtEachMapNotItsShareOfTheInputRows() {
        Graph g = chain(2, 2);
        CostModel byPlan = new CostModel(g, cluster());
        CostModel even = new CostModel(LayerCostTable.fromGraph(g), cluster());
        int[] rows = {5, 11};
        Prediction p = byPlan.predict(rows);
        Prediction q = even.predict(rows);
        Geometry geo = Geometry.of(g, new Plan(0, byPlan.deviceNames(), rows, Sync.every(), "a"));
        // a's 5 of 16 input rows own rows [0, 2) of conv0's 8 output rows and [0, 1) of conv1's 4: a quarter of each
        assertThat(geo.computedRows(0, 0).size()).isEqualTo(2);
        assertThat(geo.computedRows(2, 0).size()).isEqualTo(1);
        for (int d = 0; d < 2; d++) {
            double rate = d == 0 ? 1e8 : 1e9;
            // stage 0: conv0 and its relu; stage 1: conv1
            assertThat(p.computeSeconds()[0][d]).isCloseTo(
                    (geo.predicted().flops(d, 0) + geo.predicted().flops(d, 1)) / rate, within(1e-15));
            assertThat(p.computeSeconds()[1][d]).isCloseTo(geo.predicted().flops(d, 2) / rate, within(1e-15));
        }
        // the even split's model charges a 5/16 of conv1, b 11/16
        assertThat(q.computeSeconds()[1][0]).isCloseTo(5.0 / 16 * g.flops(g.nodes().get(2)) / 1e8, within(1e-15));
        assertThat(p.computeSeconds()[1][0]).isCloseTo(q.computeSeconds()[1][0] * 4 / 5, within(1e-15));
    }

    @Test
    void theStagesTakeAtLeastWhatTheBusiestLinkNeedsForAllThePlansHalosAtItsBandwidth() {
        Graph g = chain(1, 1, 1);
        // halos charged per stage as if the link were fast, but the link carries 1000 bytes/s
        LinkProfile link = new LinkProfile(1e3, 0, 0, 0, 1e9);
        DeviceProfiles.Cluster c = new DeviceProfiles.Cluster(List.of(device("a", 1e9).withLink(link),
                device("b", 1e9).withLink(link)), "a");
        Prediction p = new CostModel(g, c).predict(new int[] {8, 8});
        double stages = 0;
        for (double t : p.stageSeconds()) {
            stages += t;
        }
        // each device receives one row at each of the two later convs, and sends as many
        assertThat(stages).isCloseTo(2 * ROW_BYTES / 1e3, within(1e-9));
        assertThat(p.latencySeconds()).isCloseTo(stages + p.scatterSeconds() + p.gatherSeconds() + p.tailSeconds(),
                within(1e-12));
        // the even split's planning model knows no such bound
        Prediction q = new CostModel(LayerCostTable.fromGraph(g), c).predict(new int[] {8, 8});
        assertThat(q.latencySeconds()).isLessThan(p.latencySeconds() - ROW_BYTES / 1e3);
    }

    @Test
    void thePlannersRowsAreNoWorseUnderThePlansOwnHalosThanTheEvenSplitsRows() {
        Graph g = ModelZoo.build("googlenet");
        DeviceProfiles.Cluster c = DeviceProfiles.resolve("rpi4b,jetson-nano,rpi4b,rpi3b+");
        CostModel byPlan = new CostModel(g, c);
        Planner even = new Planner(new CostModel(LayerCostTable.fromGraph(g), c));
        Planner planner = new Planner(byPlan);
        PlanResult fastest = planner.latencyMinimal(Double.POSITIVE_INFINITY);
        Prediction evenFastest = byPlan.predict(even.latencyMinimal(Double.POSITIVE_INFINITY).rows());
        assertThat(fastest.latencySeconds()).isLessThanOrEqualTo(evenFastest.latencySeconds() * (1 + 1e-12));
        // what the planner reports is what the model predicts for its rows
        assertThat(fastest.prediction().latencySeconds()).isEqualTo(byPlan.predict(fastest.rows()).latencySeconds());
        double deadline = 1.5 * fastest.latencySeconds();
        PlanResult energy = planner.plan(Planner.Objective.ENERGY, deadline);
        Prediction evenEnergy = byPlan.predict(even.plan(Planner.Objective.ENERGY, deadline).rows());
        assertThat(energy.feasible()).isTrue();
        if (evenEnergy.feasible(deadline)) {
            assertThat(energy.energyJoules()).isLessThanOrEqualTo(evenEnergy.energyJoules() * (1 + 1e-12));
        }
    }
}
