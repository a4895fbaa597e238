package dev.cutover.examples.boot;

import java.math.BigDecimal;
import java.util.List;
import org.springframework.orm.ObjectOptimisticLockingFailureException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The shop's use cases, one transaction each; it knows nothing of Cutover. */
@Service
public class ShopService {
    /** A customer as the API shows it. */
    public record CustomerView(long id, String name, String email, long version) {
        static CustomerView of(Customer c) {
            return new CustomerView(c.getId(), c.getName(), c.getEmail(), c.getVersion());
        }
    }

    /** An order line as the API takes and shows it ({@code id} is null in requests). */
    public record LineView(Long id, String sku, int quantity, BigDecimal unitPrice) {
        static LineView of(OrderLine l) {
            return new LineView(l.getId(), l.getSku(), l.getQuantity(), l.getUnitPrice());
        }

        OrderLine toLine() {
            return new OrderLine(sku, quantity, unitPrice);
        }
    }

    /** An order with its lines as the API shows it. */
    public record OrderView(long id, long customerId, String status, BigDecimal total, long version,
            List<LineView> lines) {
        static OrderView of(ShopOrder o) {
            return new OrderView(o.getId(), o.getCustomer().getId(), o.getStatus(), o.getTotal(), o.getVersion(),
                    o.getLines().stream().map(LineView::of).toList());
        }
    }

    private final CustomerRepository customers;
    private final OrderRepository orders;

    ShopService(CustomerRepository customers, OrderRepository orders) {
        this.customers = customers;
        this.orders = orders;
    }

    @Transactional
    public CustomerView createCustomer(String name, String email) {
        return CustomerView.of(customers.saveAndFlush(new Customer(name, email)));
    }

    @Transactional(readOnly = true)
    public CustomerView customer(long id) {
        return CustomerView.of(customers.findById(id).orElseThrow());
    }

    @Transactional(readOnly = true)
    public CustomerView customerByEmail(String email) {
        return CustomerView.of(customers.findByEmail(email).orElseThrow());
    }

    /** Renames a customer the caller saw at {@code version}; a newer version fails with 409. */
    @Transactional
    public CustomerView renameCustomer(long id, String name, long version) {
        Customer customer = customers.findById(id).orElseThrow();
        requireVersion(Customer.class, id, customer.getVersion(), version);
        customer.setName(name);
        return CustomerView.of(customers.saveAndFlush(customer));
    }

    @Transactional
    public OrderView placeOrder(long customerId, List<LineView> lines) {
        ShopOrder order = new ShopOrder(customers.findById(customerId).orElseThrow());
        order.replaceLines(lines.stream().map(LineView::toLine).toList());
        return OrderView.of(orders.saveAndFlush(order));
    }

    @Transactional(readOnly = true)
    public OrderView order(long id) {
        return OrderView.of(orders.findById(id).orElseThrow());
    }

    /** Replaces the lines of an open order the caller saw at {@code version}. */
    @Transactional
    public OrderView replaceLines(long id, List<LineView> lines, long version) {
        ShopOrder order = orders.findById(id).orElseThrow();
        requireVersion(ShopOrder.class, id, order.getVersion(), version);
        if (!ShopOrder.OPEN.equals(order.getStatus())) {
            throw new IllegalStateException("order " + id + " is " + order.getStatus());
        }
        order.replaceLines(lines.stream().map(LineView::toLine).toList());
        return OrderView.of(orders.saveAndFlush(order));
    }

    @Transactional(readOnly = true)
    public List<OrderView> ordersOf(long customerId, String status) {
        return orders.findByCustomerIdAndStatusOrderByIdAsc(customerId, status).stream().map(OrderView::of).toList();
    }

    @Transactional(readOnly = true)
    public long countOrders(String status) {
        return orders.countByStatus(status);
    }

    /** @return how many open orders of the customer were closed */
    @Transactional
    public int closeOpenOrders(long customerId) {
        return orders.closeOpenOrders(customerId, "CLOSED");
    }

    @Transactional
    public void deleteOrder(long id) {
        orders.delete(orders.findById(id).orElseThrow());
    }

    private static void requireVersion(Class<?> type, long id, long current, long expected) {
        if (current != expected) {
            throw new ObjectOptimisticLockingFailureException(type, id);
        }
    }
}
