package dev.cutover.examples.shop;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Simulated shop traffic: several threads reading customers and stock, topping up balances and
 * placing orders (a stock decrement, a balance debit and an order row), all through the
 * Cutover-wrapped repositories. Counts every request and every error the "users" see.
 */
final class ShopTraffic {
    static final int CUSTOMERS = 200;
    static final int PRODUCTS = 40;
    private static final Logger LOG = LoggerFactory.getLogger(ShopTraffic.class);

    private final CustomerDao customers;
    private final StockDao stock;
    private final OrderDao orders;
    private final AtomicLong nextOrderId;
    private final LongAdder requests = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final List<Thread> threads = new ArrayList<>();
    private final Object pauseLock = new Object();
    private volatile boolean running = true;
    private volatile boolean paused;
    private int busy;

    ShopTraffic(CustomerDao customers, StockDao stock, OrderDao orders, long firstOrderId) {
        this.customers = customers;
        this.stock = stock;
        this.orders = orders;
        this.nextOrderId = new AtomicLong(firstOrderId);
    }

    static String sku(int i) {
        return "SKU-" + i;
    }

    void start(int threadCount) {
        for (int i = 0; i < threadCount; i++) {
            Thread t = new Thread(this::loop, "shop-user-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void loop() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (running) {
            if (!enter()) {
                continue;
            }
            try {
                serveOne(random);
            } catch (RuntimeException e) {
                errors.increment();
                LOG.error("A user saw an error", e);
            } finally {
                requests.increment();
                leave();
            }
        }
    }

    private void serveOne(ThreadLocalRandom random) {
        long customer = 1 + random.nextInt(CUSTOMERS);
        String sku = sku(random.nextInt(PRODUCTS));
        int dice = random.nextInt(100);
        if (dice < 55) {
            customers.find(customer).orElseThrow(() -> new IllegalStateException("customer " + customer + " vanished"));
        } else if (dice < 70) {
            stock.quantity(sku);
        } else if (dice < 80) {
            customers.addToBalance(customer, BigDecimal.valueOf(random.nextInt(1, 50)));
        } else if (dice < 85) {
            stock.restock(sku, random.nextInt(1, 20));
        } else {
            int quantity = random.nextInt(1, 4);
            if (stock.take(sku, quantity) == 1) {
                BigDecimal amount = BigDecimal.valueOf(quantity * 7L + random.nextInt(100) / 100.0).setScale(2, java.math.RoundingMode.HALF_UP);
                customers.addToBalance(customer, amount.negate());
                orders.insert(nextOrderId.getAndIncrement(), customer, sku, quantity, amount);
            }
        }
    }

    private boolean enter() {
        synchronized (pauseLock) {
            while (paused && running) {
                try {
                    pauseLock.wait(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    running = false;
                }
            }
            if (!running) {
                return false;
            }
            busy++;
            return true;
        }
    }

    private void leave() {
        synchronized (pauseLock) {
            busy--;
            pauseLock.notifyAll();
        }
    }

    /** Holds new requests and waits for the ones in flight, so that a check sees settled data. */
    void pause() throws InterruptedException {
        synchronized (pauseLock) {
            paused = true;
            while (busy > 0) {
                pauseLock.wait(50);
            }
        }
    }

    void resume() {
        synchronized (pauseLock) {
            paused = false;
            pauseLock.notifyAll();
        }
    }

    void stop() throws InterruptedException {
        running = false;
        resume();
        for (Thread t : threads) {
            t.join(10_000);
        }
    }

    long requests() {
        return requests.sum();
    }

    long errors() {
        return errors.sum();
    }

    long lastOrderId() {
        return nextOrderId.get() - 1;
    }
}
