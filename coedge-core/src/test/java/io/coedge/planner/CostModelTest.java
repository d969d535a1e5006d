package io.coedge.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.coedge.graph.Graph;
import io.coedge.partition.Geometry;
import io.coedge.partition.Plan;
import io.coedge.partition.Sync;
import io.coedge.zoo.ModelZoo;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CostModelTest {
    private static DeviceProfile device(String name, double rate, double idle, double cp, double tx, LinkProfile link) {
        Map<LayerType, Double> r = new EnumMap<>(LayerType.class);
        r.put(LayerType.CONV3X3, rate);
        r.put(LayerType.OTHER, rate / 10);
        return new DeviceProfile(name, "", r, 1_000_000_000L, idle, cp, tx, link, Map.of());
    }

    /** One 3x3 conv, 10 rows, 1e9 FLOPs, 2 halo rows of 1000 bytes; FC tail 1e8 FLOPs. */
    /** Device a (1 GFLOP/s) and device b (2 GFLOP/s) on the links given, with the power figures the tests assume. */
    private static CostModel twoDevices(LinkProfile linkA, LinkProfile linkB) {
        return new CostModel(table(), new DeviceProfiles.Cluster(List.of(
                device("a", 1e9, 2, 6, 3, linkA), device("b", 2e9, 1, 4, 2, linkB)), null));
    }

    private static LayerCostTable table() {
        return new LayerCostTable("t", 10, List.of(new LayerCostTable.Layer("conv", LayerType.CONV3X3, 1_000_000_000L, 10, 2, 1000)),
                500, 100, Map.of(LayerType.FC, 100_000_000L), 1000, 1000, 100, 1000);
    }

    @Test
    void oneDeviceLatencyIsComputePlusTailAndEnergyIsComputePowerTimesIt() {
        CostModel m = new CostModel(table(), new DeviceProfiles.Cluster(List.of(device("a", 1e9, 2, 6, 3, LinkProfile.DEFAULT)), null));
        Prediction p = m.predict(new int[] {10});
        // conv 1 s at 1 GFLOP/s; tail at the FC rate = OTHER fallback 0.1 GFLOP/s: 1 s
        assertThat(p.latencySeconds()).isCloseTo(2.0, within(1e-12));
        assertThat(p.energyJoules()).isCloseTo(6 * 2.0, within(1e-9));
        assertThat(p.idleSeconds(0, 0)).isCloseTo(0, within(1e-12));
    }

    @Test
    void twoDevicesPayHalosScatterGatherAndIdleAsTheDesignSays() {
        LinkProfile link = new LinkProfile(1e6, 0.001);
        CostModel m = twoDevices(link, link);
        Prediction p = m.predict(new int[] {6, 4});
        // two devices: each has one neighbour, so receives one side's halo (1000 bytes)
        double halo = 1000 / 1e6 + 0.001;
        double cpA = 0.6, cpB = 0.2;
        assertThat(p.computeSeconds()[0]).containsExactly(new double[] {cpA, cpB}, within(1e-12));
        assertThat(p.transferSeconds()[0]).containsExactly(new double[] {halo, halo}, within(1e-12));
        // the halo's bytes (1 ms) arrive while a computes its interior rows: the stage is a's compute and the
        // exchange's fixed cost (1 ms), which a spends itself
        double stage = cpA + 0.001;
        double sg = 4 * (500 + 100) / 1e6 + 2 * 0.001;
        double tail = 1.0;
        assertThat(p.latencySeconds()).isCloseTo(stage + sg + tail, within(1e-12));
        assertThat(p.idleSeconds(0, 1)).isCloseTo(stage - cpB - halo, within(1e-12));
        double eA = 2 * p.latencySeconds() + 4 * cpA + 1 * halo + 1 * sg + 4 * tail;
        double eB = 1 * p.latencySeconds() + 3 * cpB + 1 * halo + 1 * sg;
        assertThat(p.energyJoules()).isCloseTo(eA + eB, within(1e-9));
        assertThat(p.deviceEnergy()).containsExactly(new double[] {eA, eB}, within(1e-9));
    }

    @Test
    void halosAreChargedAtTheLinksHaloBandwidthAndScatterAndGatherAtItsBandwidth() {
        LinkProfile link = new LinkProfile(1e6, 0.001);
        Prediction p = twoDevices(link, link).predict(new int[] {6, 4});
        Prediction q = twoDevices(link.withHaloBandwidth(4e6), link.withHaloBandwidth(4e6)).predict(new int[] {6, 4});
        // one side's halo, 1000 bytes, at 4 MB/s instead of 1 MB/s
        assertThat(q.transferSeconds()[0]).containsExactly(new double[] {0.001 + 1000 / 4e6, 0.001 + 1000 / 4e6},
                within(1e-12));
        assertThat(p.transferSeconds()[0][0]).isCloseTo(0.001 + 1000 / 1e6, within(1e-12));
        assertThat(q.scatterSeconds()).isEqualTo(p.scatterSeconds());
        assertThat(q.gatherSeconds()).isEqualTo(p.gatherSeconds());
        // the pair's halos go at the slower of the two halo bandwidths
        assertThat(link.withHaloBandwidth(4e6).pairWith(link.withHaloBandwidth(2e6)).haloBandwidthBytesPerSecond())
                .isEqualTo(2e6);
        assertThat(link.haloBandwidthBytesPerSecond()).as("the bandwidth unless given").isEqualTo(1e6);
    }

    @Test
    void aLinksBurstCarriesTheStartOfAScatterAndOfAGatherAtLineSpeed() {
        LinkProfile link = new LinkProfile(1e6, 0.001);
        LinkProfile initiator = new LinkProfile(1e9, 0.001); // faster: b's shaped link paces the pair
        // b's 4 rows: scatter 2000 bytes, gather 400 bytes (table: 500 and 100 per row)
        CostModel plain = twoDevices(initiator, link);
        CostModel burst = twoDevices(initiator, link.withBurstBytes(1500));
        Prediction p = plain.predict(new int[] {6, 4});
        Prediction q = burst.predict(new int[] {6, 4});
        // the scatter is paced beyond the first 1500 bytes; the whole gather fits the burst
        assertThat(q.scatterSeconds()).isCloseTo(p.scatterSeconds() - 1500 / 1e6, within(1e-12));
        assertThat(q.gatherSeconds()).isCloseTo(p.gatherSeconds() - 400 / 1e6, within(1e-12));
        assertThat(q.latencySeconds()).isCloseTo(p.latencySeconds() - 1900 / 1e6, within(1e-12));
        // halos come one after the other through the layers: still paced (the bucket has no time to refill)
        assertThat(q.transferSeconds()[0]).containsExactly(p.transferSeconds()[0], within(1e-15));
        // a burst larger than both leaves only the two message latencies
        Prediction r = twoDevices(initiator, link.withBurstBytes(1e6)).predict(new int[] {6, 4});
        assertThat(r.scatterSeconds() + r.gatherSeconds()).isCloseTo(2 * 0.001, within(1e-12));
        // and the planner's piecewise form agrees with the prediction at every row count
        for (int rows = 1; rows < 10; rows++) {
            double mx = Double.NEGATIVE_INFINITY;
            for (double[] piece : burst.scatterGatherPieces(1)) {
                mx = Math.max(mx, piece[0] * rows + piece[1]);
            }
            assertThat(mx).as("%d rows", rows).isCloseTo(burst.scatterGatherSeconds(1, rows), within(1e-15));
        }
    }

    @Test
    void aHaloSentWhileAnEarlierOneIsStillInFlightQueuesBehindIt() {
        // conv0 (no halo) produces the map; pool reads it after conv1 and conv2 ran, so its halo is sent before
        // conv1's output is; conv2 reads conv1's output and its halo queues behind the pool's on the links.
        // Each layer 1e9 FLOPs, halos 1 row of 1000 bytes per side.
        LayerCostTable t = new LayerCostTable("branched", 10, List.of(
                new LayerCostTable.Layer("conv0", LayerType.CONV3X3, 1_000_000_000L, 10, 0, 1000),
                new LayerCostTable.Layer("conv1", LayerType.CONV3X3, 1_000_000_000L, 10, 0, 1000),
                new LayerCostTable.Layer("conv2", LayerType.CONV3X3, 1_000_000_000L, 10, 2, 1000),
                new LayerCostTable.Layer("pool", LayerType.CONV3X3, 1_000_000_000L, 10, 2, 1000, 2)),
                500, 100, Map.of(LayerType.FC, 100_000_000L), 1000, 1000, 100, 1000);
        LinkProfile slow = new LinkProfile(1000, 0); // 1000 bytes/s: a side's halo takes 1 s
        CostModel m = new CostModel(t, new DeviceProfiles.Cluster(List.of(
                device("a", 1e9, 2, 6, 3, slow), device("b", 1e9, 1, 4, 2, slow)), null));
        // stages: [conv0 conv1] (no halo), [conv2] (queues), [pool] (hidden behind conv1 and conv2)
        assertThat(m.stageNames()).containsExactly("conv0 +1", "conv2", "pool");
        assertThat(m.queues).containsExactly(false, true, false);
        assertThat(m.queuedHalfBytes[1]).isEqualTo(1000);
        int[] rows = {5, 5};
        Prediction p = m.predict(rows);
        // conv2 on 5 rows: 0.5 s; its own halo 1 s, plus the pool's, sent 0.5 s (conv1) earlier: arrives after
        // 1 + 1 - 0.5 = 1.5 s; the boundary rows next to the one neighbour (one per halo row, 2 rows of 0.1 s,
        // halved per side) follow
        double boundary = 2 * (1e9 / 10) / 1e9 / 2;
        assertThat(p.stageSeconds()[1]).isCloseTo(1.5 + boundary, within(1e-9));
        // without the pool's halo in flight, conv2 would wait for its own halo only
        LayerCostTable chain = new LayerCostTable("chain", 10, List.of(t.layers().get(0), t.layers().get(1),
                t.layers().get(2), new LayerCostTable.Layer("pool", LayerType.CONV3X3, 1_000_000_000L, 10, 2, 1000)),
                500, 100, Map.of(LayerType.FC, 100_000_000L), 1000, 1000, 100, 1000);
        CostModel c = new CostModel(chain, m.cluster());
        assertThat(c.predict(rows).stageSeconds()[1]).isCloseTo(1 + boundary, within(1e-9));
        // the planner's fast evaluation and its MILP agree with the prediction
        Planner planner = new Planner(m);
        assertThat(planner.quick(rows)[0]).isCloseTo(p.latencySeconds(), within(1e-12));
        PlanResult exact = planner.exact(Planner.Objective.LATENCY, Double.POSITIVE_INFINITY);
        assertThat(exact.latencySeconds()).isLessThanOrEqualTo(p.latencySeconds() + 1e-9);
    }

    @Test
    void aPairOfLinksTakesTheBurstOfTheSlowerOne() {
        LinkProfile fast = new LinkProfile(1e9, 0, 0, 0);
        LinkProfile shaped = new LinkProfile(1e6, 0, 0, 4000);
        assertThat(fast.pairWith(shaped).burstBytes()).isEqualTo(4000);
        assertThat(shaped.pairWith(fast).burstBytes()).isEqualTo(4000);
        assertThat(shaped.pairWith(shaped.withBurstBytes(100)).burstBytes()).isEqualTo(100);
        assertThat(shaped.pacedSecondsAfterIdle(3000)).isZero();
        assertThat(shaped.pacedSecondsAfterIdle(5000)).isCloseTo(1000 / 1e6, within(1e-15));
        assertThatThrownBy(() -> fast.withBurstBytes(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("burst");
    }

    @Test
    void aHaloSlowerThanTheInteriorCostsItsTimePlusTheBoundaryRows() {
        LinkProfile slow = new LinkProfile(1e3, 0.001);
        CostModel m = twoDevices(slow, slow);
        Prediction p = m.predict(new int[] {6, 4});
        double halo = 1000 / 1e3 + 0.001;
        // a: 1 boundary row of the conv (1e8 FLOPs) at 1 GFLOP/s after one side's halo; b at 2 GFLOP/s
        assertThat(p.stageSeconds()[0]).isCloseTo(halo + 0.1, within(1e-12));
        assertThat(p.transferSeconds()[0]).containsExactly(new double[] {halo, halo}, within(1e-12));
    }

    @Test
    void aMiddleDevicesLinkCarriesBothSidesSoItAndItsNeighboursWaitForBoth() {
        LinkProfile link = new LinkProfile(1e6, 0.001);
        CostModel m = new CostModel(table(), new DeviceProfiles.Cluster(List.of(
                device("a", 1e9, 2, 6, 3, link), device("b", 1e9, 1, 4, 2, link), device("c", 1e9, 1, 4, 2, link),
                device("d", 1e9, 1, 4, 2, link)), null));
        Prediction p = m.predict(new int[] {3, 4, 0, 3});
        // b receives both sides over its link, and sends both over it: a and d wait for that too; each pays the
        // exchanges' fixed cost once per stage (b's two waits overlap)
        double both = 2000 / 1e6;
        assertThat(p.transferSeconds()[0]).containsExactly(new double[] {both + 0.001, both + 0.001, 0, both + 0.001},
                within(1e-12));
    }

    @Test
    void aHaloFlowsAtTheSlowerOfTheTwoLinksItCrosses() {
        LinkProfile fast = new LinkProfile(1e6, 0.001);
        LinkProfile slow = new LinkProfile(1e5, 0.001);
        CostModel two = new CostModel(table(), new DeviceProfiles.Cluster(List.of(
                device("a", 1e9, 2, 6, 3, fast), device("b", 1e9, 1, 4, 2, slow)), null));
        // the fast device's halo leaves over the slow device's link: both at the pair's bandwidth
        assertThat(two.predict(new int[] {5, 5}).transferSeconds()[0])
                .containsExactly(new double[] {1000 / 1e5 + 0.001, 1000 / 1e5 + 0.001}, within(1e-12));
        CostModel three = new CostModel(table(), new DeviceProfiles.Cluster(List.of(
                device("a", 1e9, 2, 6, 3, fast), device("b", 1e9, 1, 4, 2, fast), device("c", 1e9, 1, 4, 2, slow)), null));
        Prediction p = three.predict(new int[] {3, 4, 3});
        // a: b's link carries two sides out; b: c's slow link carries one side out (slower than b's own
        // link carrying two in); c: its own slow link
        assertThat(p.transferSeconds()[0]).containsExactly(
                new double[] {2000 / 1e6 + 0.001, 1000 / 1e5 + 0.001, 1000 / 1e5 + 0.001}, within(1e-12));
    }

    @Test
    void aSlowNeighbourSlowsTheFastDevicesStage() {
        LinkProfile fast = new LinkProfile(1e6, 0.001);
        LinkProfile slow = new LinkProfile(1e3, 0.001);
        CostModel allFast = new CostModel(table(), new DeviceProfiles.Cluster(List.of(
                device("a", 1e9, 2, 6, 3, fast), device("b", 1e9, 1, 4, 2, fast), device("c", 1e9, 1, 4, 2, fast)), null));
        CostModel slowEdge = new CostModel(table(), new DeviceProfiles.Cluster(List.of(
                device("a", 1e9, 2, 6, 3, fast), device("b", 1e9, 1, 4, 2, fast), device("c", 1e9, 1, 4, 2, slow)), null));
        int[] rows = {3, 4, 3};
        // with fast links the halos hide behind b's 0.4 s of interior rows; b spends the exchanges' 1 ms itself,
        // once for its two neighbours (it waits for both at once)
        assertThat(allFast.predict(rows).stageSeconds()[0]).isCloseTo(0.4 + 0.001, within(1e-12));
        // c's 1 s halo holds b up: then b's two boundary rows (0.1 s each)
        double b = 0.001 + 1000 / 1e3 + 2 * 0.1;
        assertThat(slowEdge.predict(rows).stageSeconds()[0]).isCloseTo(b, within(1e-12));
        // and the planner's move evaluation agrees with the full prediction
        Planner planner = new Planner(slowEdge);
        assertThat(planner.quick(rows)[0]).isCloseTo(slowEdge.predict(rows).latencySeconds(), within(1e-12));
    }

    @Test
    void devicesThatOwnNoRowsDoNotCountAsNeighbours() {
        LinkProfile fast = new LinkProfile(1e6, 0.001);
        LinkProfile slow = new LinkProfile(1e3, 0.001);
        CostModel m = new CostModel(table(), new DeviceProfiles.Cluster(List.of(
                device("a", 1e9, 2, 6, 3, fast), device("b", 1e9, 1, 4, 2, slow), device("c", 1e9, 1, 4, 2, fast)), null));
        // b owns nothing: a and c exchange with each other over fast links
        assertThat(m.predict(new int[] {5, 0, 5}).transferSeconds()[0])
                .containsExactly(new double[] {1000 / 1e6 + 0.001, 0, 1000 / 1e6 + 0.001}, within(1e-12));
    }

    @Test
    void scattersAndGathersToSeveralWorkersRunAtTheSameTime() {
        LinkProfile link = new LinkProfile(1e6, 0.001);
        CostModel two = new CostModel(table(), new DeviceProfiles.Cluster(List.of(
                device("a", 1e9, 2, 6, 3, link), device("b", 1e9, 1, 4, 2, link)), null));
        CostModel three = new CostModel(table(), new DeviceProfiles.Cluster(List.of(
                device("a", 1e9, 2, 6, 3, link), device("b", 1e9, 1, 4, 2, link), device("c", 1e9, 1, 4, 2, link)), null));
        Prediction p2 = two.predict(new int[] {6, 4});
        Prediction p3 = three.predict(new int[] {2, 4, 4});
        double sg = 4 * (500 + 100) / 1e6 + 2 * 0.001;
        assertThat(p2.scatterSeconds() + p2.gatherSeconds()).isCloseTo(sg, within(1e-12));
        assertThat(p3.scatterSeconds() + p3.gatherSeconds()).isCloseTo(sg, within(1e-12));
    }

    @Test
    void aWorkersPerRequestCostIsPaidOnceWhenItTakesPartAndNeverWhenItSitsOut() {
        LinkProfile link = new LinkProfile(1e6, 0.001);
        LinkProfile slowRequests = link.withRequestSeconds(0.25);
        CostModel plain = twoDevices(link, link);
        CostModel costly = twoDevices(link, slowRequests);
        assertThat(costly.predict(new int[] {6, 4}).latencySeconds())
                .isCloseTo(plain.predict(new int[] {6, 4}).latencySeconds() + 0.25, within(1e-12));
        assertThat(costly.predict(new int[] {6, 4}).scatterSeconds())
                .isCloseTo(plain.predict(new int[] {6, 4}).scatterSeconds() + 0.25, within(1e-12));
        assertThat(costly.predict(new int[] {10, 0}).latencySeconds())
                .isEqualTo(plain.predict(new int[] {10, 0}).latencySeconds());
        // the initiator's own request cost is what each worker beyond the first costs it: with one, nothing
        CostModel initiatorCost = twoDevices(slowRequests, link);
        assertThat(initiatorCost.predict(new int[] {10, 0}).latencySeconds())
                .isEqualTo(plain.predict(new int[] {10, 0}).latencySeconds());
        assertThat(initiatorCost.predict(new int[] {6, 4}).latencySeconds())
                .isEqualTo(plain.predict(new int[] {6, 4}).latencySeconds());
    }

    private static CostModel fourDevices(LinkProfile initiatorLink) {
        LinkProfile link = new LinkProfile(1e6, 0.001);
        return new CostModel(table(), new DeviceProfiles.Cluster(List.of(device("a", 1e9, 2, 6, 3, initiatorLink),
                device("b", 1e9, 1, 4, 2, link), device("c", 1e9, 1, 4, 2, link), device("d", 1e9, 1, 4, 2, link)), null));
    }

    @Test
    void theInitiatorsRequestCostIsPaidForEachWorkerBeyondTheFirst() {
        LinkProfile link = new LinkProfile(1e6, 0.001);
        CostModel plain = fourDevices(link);
        CostModel costly = fourDevices(link.withRequestSeconds(0.25));
        int[][] splits = {{10, 0, 0, 0}, {6, 4, 0, 0}, {2, 4, 4, 0}, {1, 3, 3, 3}, {0, 0, 5, 5}};
        double[] extra = {0, 0, 0.25, 0.5, 0.25};
        for (int k = 0; k < splits.length; k++) {
            Prediction p = plain.predict(splits[k]);
            Prediction q = costly.predict(splits[k]);
            assertThat(q.latencySeconds()).as("rows %s", Arrays.toString(splits[k]))
                    .isCloseTo(p.latencySeconds() + extra[k], within(1e-12));
            assertThat(q.scatterSeconds()).isCloseTo(p.scatterSeconds() + extra[k], within(1e-12));
            // the initiator computes it (6 - 2 W over idle) and idles through it (2 W), as does every worker taking part (1 W)
            int workers = 0;
            for (int i = 1; i < 4; i++) {
                workers += splits[k][i] > 0 ? 1 : 0;
            }
            assertThat(q.energyJoules()).isCloseTo(p.energyJoules() + extra[k] * (4 + 2 + workers), within(1e-9));
        }
    }

    @Test
    void thePlannerLeavesOutAWorkerWhoseCostAtTheInitiatorOutweighsItsHelp() {
        LinkProfile fast = new LinkProfile(1e12, 0);
        // four devices as fast as each other: each worker beyond the first costs the initiator more than it saves
        Planner costly = new Planner(fourDevices(fast.withRequestSeconds(0.2)));
        Planner cheap = new Planner(fourDevices(fast.withRequestSeconds(0.001)));
        for (Planner p : List.of(costly, cheap)) {
            int[] rows = p.latencyMinimal(Double.POSITIVE_INFINITY).rows();
            int[] exact = p.exact(Planner.Objective.LATENCY, Double.POSITIVE_INFINITY).rows();
            assertThat(p.costModel().predict(rows).latencySeconds())
                    .isCloseTo(p.costModel().predict(exact).latencySeconds(), within(1e-9));
        }
        assertThat(Arrays.stream(costly.latencyMinimal(Double.POSITIVE_INFINITY).rows()).filter(r -> r > 0).count())
                .isEqualTo(2);
        assertThat(Arrays.stream(cheap.latencyMinimal(Double.POSITIVE_INFINITY).rows()).filter(r -> r > 0).count())
                .isEqualTo(4);
    }

    @Test
    void thePlannerLeavesOutAWorkerWhoseRequestCostOutweighsItsHelp() {
        LinkProfile fast = new LinkProfile(1e12, 0);
        // b is twice as fast, but a request to it costs more than the whole inference on a
        CostModel m = twoDevices(fast, fast.withRequestSeconds(5));
        PlanResult r = new Planner(m).latencyMinimal(Double.POSITIVE_INFINITY);
        assertThat(r.rows()).containsExactly(10, 0);
        CostModel cheap = twoDevices(fast, fast.withRequestSeconds(0.01));
        assertThat(new Planner(cheap).latencyMinimal(Double.POSITIVE_INFINITY).rows()[1]).isPositive();
    }

    @Test
    void rowsMustCoverTheMapExactly() {
        CostModel m = new CostModel(table(), new DeviceProfiles.Cluster(List.of(device("a", 1e9, 2, 6, 3, null)), null));
        assertThatThrownBy(() -> m.predict(new int[] {9})).hasMessageContaining("sum to 9");
        assertThatThrownBy(() -> m.predict(new int[] {5, 5})).hasMessageContaining("1 devices");
    }

    @Test
    void aHaloSentBeforeOtherLayersRunHidesBehindThem() {
        LinkProfile slow = new LinkProfile(1e3, 0.001);
        for (int since : new int[] {0, 1}) {
            // conv2 reads conv's output; with since = 1 the layer "mid" runs between them
            LayerCostTable t = new LayerCostTable("t", 10, List.of(
                    new LayerCostTable.Layer("conv", LayerType.CONV3X3, 1_000_000_000L, 10, 2, 1000),
                    new LayerCostTable.Layer("mid", LayerType.CONV3X3, 1_000_000_000L, 10, 0, 1000),
                    new LayerCostTable.Layer("conv2", LayerType.CONV3X3, 1_000_000_000L, 10, 2, 1000, since)),
                    500, 100, Map.of(LayerType.FC, 100_000_000L), 1000, 1000, 100, 1000);
            CostModel m = new CostModel(t, new DeviceProfiles.Cluster(List.of(
                    device("a", 1e9, 2, 6, 3, slow), device("b", 1e9, 1, 4, 2, slow)), null));
            int[] rows = {5, 5};
            // conv2's stage: 1 s of halo plus 0.1 s of boundary rows, less mid's 0.5 s when the halo left before it
            double expected = 1.0 + 0.001 + 0.1 - (since == 1 ? 0.5 : 0);
            assertThat(m.predict(rows).stageSeconds()[1]).as("since %d", since).isCloseTo(expected, within(1e-12));
            assertThat(new Planner(m).quick(rows)[0]).isCloseTo(m.predict(rows).latencySeconds(), within(1e-12));
        }
    }

    @Test
    void anInceptionBranchCountsTheLayersRunBetweenItsInputAndItsFirstReader() {
        LayerCostTable t = LayerCostTable.fromGraph(ModelZoo.build("googlenet"));
        List<String> names = t.layers().stream().map(LayerCostTable.Layer::name).toList();
        int conv = names.indexOf("inception3a.branch3.1.conv");
        int input = names.indexOf("inception3a.branch3.0.relu");
        assertThat(input).isNotNegative();
        LayerCostTable.Layer l = t.layers().get(conv);
        assertThat(l.haloRows()).isPositive();
        // other branches' layers run between the 1x1 reduction and the 3x3 conv that first reads it
        assertThat(conv).isGreaterThan(input + 1);
        assertThat(l.layersSinceInput()).isEqualTo(conv - input - 1);
        // the pool reads the block input, which a 1x1 conv read first: its halo is received there
        LayerCostTable.Layer pool = t.layers().get(names.indexOf("inception3a.branch4.0"));
        assertThat(pool.haloRows()).isPositive();
        assertThat(pool.layersSinceInput()).isZero();
        // a plain chain: every layer reads the one before it
        assertThat(LayerCostTable.fromGraph(ModelZoo.build("vgg16")).layers())
                .allSatisfy(x -> assertThat(x.layersSinceInput()).isZero());
    }

    @Test
    void exactGeometryChargesEveryMessageAtThePairsBandwidth() {
        Graph g = ModelZoo.build("alexnet");
        LayerCostTable t = LayerCostTable.fromGraph(g);
        LinkProfile fast = new LinkProfile(1e9, 0);
        LinkProfile slow = new LinkProfile(1e6, 0);
        CostModel fastSlow = new CostModel(t, new DeviceProfiles.Cluster(List.of(
                device("a", 1e9, 2, 6, 3, fast), device("b", 1e9, 1, 4, 2, slow)), null));
        CostModel slowSlow = new CostModel(t, new DeviceProfiles.Cluster(List.of(
                device("a", 1e9, 2, 6, 3, slow), device("b", 1e9, 1, 4, 2, slow)), null));
        Geometry geo = Geometry.of(g, Plan.equal(fastSlow.deviceNames(), t.inputRows(), Sync.every()));
        // two devices: every message crosses b's slow link, so a's fast link changes nothing
        assertThat(fastSlow.predictExact(geo)[0]).isCloseTo(slowSlow.predictExact(geo)[0], within(1e-12));
        assertThat(fastSlow.predictExact(geo)[0]).isGreaterThan(
                new CostModel(t, new DeviceProfiles.Cluster(List.of(device("a", 1e9, 2, 6, 3, fast),
                        device("b", 1e9, 1, 4, 2, fast)), null)).predictExact(geo)[0]);
    }

    @Test
    void tableFromAZooGraphAgreesWithThePartitionGeometry() {
        Graph g = ModelZoo.build("resnet18");
        LayerCostTable t = LayerCostTable.fromGraph(g);
        assertThat(t.inputRows()).isEqualTo(224);
        assertThat(t.tailFlops()).containsKey(LayerType.FC);
        assertThat(t.layers()).extracting(LayerCostTable.Layer::type).contains(LayerType.CONV7X7, LayerType.CONV3X3,
                LayerType.CONV1X1, LayerType.POOL);
        DeviceProfiles.Cluster c = DeviceProfiles.resolve("rpi4b,rpi4b,rpi4b,rpi4b");
        CostModel m = new CostModel(t, c);
        Plan plan = Plan.equal(m.deviceNames(), 224, Sync.every());
        Geometry geo = Geometry.of(g, plan);
        long splitFlops = 0;
        for (int d = 0; d < 4; d++) {
            splitFlops += geo.predicted().flops(d);
        }
        // the geometry adds redundant boundary rows and the tail on one device; the table counts each row once
        long tailFlops = t.tailFlops().values().stream().mapToLong(Long::longValue).sum();
        assertThat((double) splitFlops).isCloseTo(t.spatialFlops() + tailFlops, within(0.02 * splitFlops));
        double[] exact = m.predictExact(geo);
        Prediction linear = m.predict(plan.rows());
        assertThat(linear.latencySeconds()).isCloseTo(exact[0], within(0.25 * exact[0]));
        assertThat(linear.energyJoules()).isCloseTo(exact[1], within(0.25 * exact[1]));
        System.out.printf("resnet18, 4x rpi4b, equal split: planning model %.1f ms / %.2f J, geometry %.1f ms / %.2f J%n",
                linear.latencySeconds() * 1e3, linear.energyJoules(), exact[0] * 1e3, exact[1]);
    }
}
