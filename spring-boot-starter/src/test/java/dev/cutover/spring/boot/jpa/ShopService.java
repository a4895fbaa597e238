package dev.cutover.spring.boot.jpa;

import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The application's service: each public method is one transaction, as Spring runs it. */
@Service
public class ShopService {
    private final CustomerRepository customers;
    private final OrderRepository orders;
    private final OrderLineRepository lines;

    ShopService(CustomerRepository customers, OrderRepository orders, OrderLineRepository lines) {
        this.customers = customers;
        this.orders = orders;
        this.lines = lines;
    }

    /** A line to add: sku, quantity and unit price. */
    public record LineSpec(String sku, int quantity, BigDecimal unitPrice) {
    }

    /** What placing an order wrote. */
    public record Placed(long orderId, List<Long> lineIds, BigDecimal total) {
    }

    /** What editing an order wrote. */
    public record Edited(Long removedLineId, long addedLineId, BigDecimal total) {
    }

    @Transactional
    public long createCustomer(String name, String email, Address address, Tier tier, LocalDateTime at) {
        return customers.save(new Customer(name, email, address, tier, at)).id();
    }

    /** Inserts an order and its lines (a JDBC batch) and updates the customer, in one transaction. */
    @Transactional
    public Placed placeOrder(long customerId, List<LineSpec> specs, LocalDateTime at) {
        Customer customer = customers.findById(customerId).orElseThrow();
        ShopOrder order = new ShopOrder(customer, at);
        List<OrderLine> added = new ArrayList<>();
        for (LineSpec spec : specs) {
            added.add(order.addLine(spec.sku(), spec.quantity(), spec.unitPrice()));
        }
        customer.ordered(at);
        orders.save(order);
        return new Placed(order.id(), added.stream().map(OrderLine::id).toList(), order.total());
    }

    /** Removes the first line (orphan removal), adds one and changes the status. */
    @Transactional
    public Edited editOrder(long orderId, OrderStatus status, LineSpec add) {
        ShopOrder order = orders.findById(orderId).orElseThrow();
        Long removed = null;
        if (!order.lines().isEmpty()) {
            removed = order.lines().remove(0).id();
        }
        OrderLine line = order.addLine(add.sku(), add.quantity(), add.unitPrice());
        order.status(status);
        orders.flush();
        return new Edited(removed, line.id(), order.total());
    }

    @Transactional
    public void deleteOrder(long orderId) {
        orders.delete(orders.findById(orderId).orElseThrow());
    }

    /** Deletes the customer with its orders and their lines (cascade). */
    @Transactional
    public void deleteCustomer(long customerId) {
        customers.delete(customers.findById(customerId).orElseThrow());
    }

    @Transactional
    public int cancelOpenOrders(long customerId) {
        return orders.changeStatus(customerId, OrderStatus.OPEN, OrderStatus.CANCELLED);
    }

    @Transactional
    public int addToTotals(long customerId, BigDecimal delta) {
        return orders.addToTotals(customerId, delta);
    }

    @Transactional
    public int dropLargeLines(long orderId, int maxQuantity) {
        return lines.deleteLargerThan(orderId, maxQuantity);
    }

    @Transactional
    public void addPoints(long customerId, long points) {
        customers.findById(customerId).orElseThrow().addPoints(points);
    }

    /** Promotes the customer and marks the given orders paid: several entities in one transaction. */
    @Transactional
    public void promote(long customerId, Tier tier, List<Long> orderIds) {
        customers.findById(customerId).orElseThrow().tier(tier);
        for (Long id : orderIds) {
            orders.findById(id).orElseThrow().status(OrderStatus.PAID);
        }
    }

    @Transactional(readOnly = true)
    public int lineCount(long orderId) {
        return orders.findById(orderId).map(o -> o.lines().size()).orElse(-1);
    }
}
