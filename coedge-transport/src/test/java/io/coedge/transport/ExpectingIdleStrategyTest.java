package io.coedge.transport;

import static org.assertj.core.api.Assertions.assertThat;

import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.Test;

class ExpectingIdleStrategyTest {
    /** Counts what the driver's relaxed strategy is asked to do. */
    private static final class Counting implements IdleStrategy {
        int idles;
        int resets;

        @Override
        public void idle(int workCount) {
            idles++;
        }

        @Override
        public void idle() {
            idles++;
        }

        @Override
        public void reset() {
            resets++;
        }
    }

    @Test
    void relaxedWhileNobodyWaitsAndPollingWhileSomebodyDoes() {
        Counting relaxed = new Counting();
        ExpectingIdleStrategy.Expectation e = new ExpectingIdleStrategy.Expectation();
        ExpectingIdleStrategy s = new ExpectingIdleStrategy(relaxed, e);
        s.idle(0);
        assertThat(relaxed.idles).isEqualTo(1);
        assertThat(e.begin()).as("the first waiter wakes the driver").isTrue();
        assertThat(e.begin()).as("a second one need not").isFalse();
        s.idle(0);
        s.idle();
        assertThat(relaxed.idles).as("while a message is expected the relaxed park is skipped").isEqualTo(1);
        e.end();
        s.idle(0);
        assertThat(relaxed.idles).as("one waiter is still there").isEqualTo(1);
        e.end();
        s.idle(0);
        assertThat(relaxed.idles).isEqualTo(2);
        assertThat(e.waitedNs()).isEqualTo(-1);
        s.idle(3);
        assertThat(relaxed.resets).as("work resets the relaxed strategy's backoff").isEqualTo(1);
    }

    @Test
    void aWaitIsTimedFromItsFirstWaiter() throws InterruptedException {
        ExpectingIdleStrategy.Expectation e = new ExpectingIdleStrategy.Expectation();
        e.begin();
        Thread.sleep(2);
        e.begin();
        assertThat(e.waitedNs()).as("the second waiter does not restart the clock").isGreaterThanOrEqualTo(2_000_000L);
        e.end();
        e.end();
    }
}
