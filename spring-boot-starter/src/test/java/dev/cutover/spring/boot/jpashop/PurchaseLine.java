package dev.cutover.spring.boot.jpashop;

import jakarta.persistence.Entity;
import jakarta.persistence.FetchType;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.SequenceGenerator;
import jakarta.persistence.Table;
import java.math.BigDecimal;

/** A purchase line. */
@Entity
@Table(name = "purchase_lines")
public class PurchaseLine {
    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "purchase_lines_seq")
    @SequenceGenerator(name = "purchase_lines_seq", sequenceName = "purchase_lines_seq")
    private Long id;
    @ManyToOne(fetch = FetchType.LAZY, optional = false)
    @JoinColumn(name = "purchase_id")
    private Purchase purchase;
    private String sku;
    private int quantity;
    private BigDecimal price;

    protected PurchaseLine() {
    }

    PurchaseLine(Purchase purchase, String sku, int quantity, BigDecimal price) {
        this.purchase = purchase;
        this.sku = sku;
        this.quantity = quantity;
        this.price = price;
    }

    Long id() {
        return id;
    }

    int quantity() {
        return quantity;
    }

    BigDecimal price() {
        return price;
    }
}
