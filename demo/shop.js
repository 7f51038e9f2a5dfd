// Northwind Outfitters demo shop: a tiny in-memory cart and a fake checkout.
// Everything updates the DOM in place (no reloads) so a co-browsing agent
// sees each change arrive as an incremental mutation.
(function () {
  'use strict';

  // Money is kept in integer cents so totals never show float noise like $0.30000000000000004.
  var money = function (cents) { return '$' + (cents / 100).toFixed(2); };
  var toCents = function (text) { return Math.round(parseFloat(text) * 100); };

  var $ = function (id) { return document.getElementById(id); };
  var countEl = $('cart-count');
  var totalEl = $('cart-total');
  var itemsEl = $('cart-items');
  var emptyEl = $('cart-empty');
  var subtotalEl = $('cart-subtotal');
  var shippingEl = $('shipping');
  var form = $('checkout');
  var statusEl = $('order-status');

  // sku -> { name, cents, qty }. A Map keeps insertion order, so cart lines
  // stay in the order the customer added them.
  var cart = new Map();

  function subtotal() {
    var sum = 0;
    cart.forEach(function (line) { sum += line.cents * line.qty; });
    return sum;
  }

  function shippingCost() {
    var opt = shippingEl.options[shippingEl.selectedIndex];
    return toCents(opt.getAttribute('data-cost'));
  }

  function renderTotals() {
    var sub = subtotal();
    var ship = shippingCost();
    totalEl.textContent = money(sub);
    subtotalEl.textContent = money(sub);
    $('summary-subtotal').textContent = money(sub);
    $('summary-shipping').textContent = money(ship);
    $('order-total').textContent = money(sub + ship);
  }

  function renderCart() {
    var qty = 0;
    var lines = [];
    cart.forEach(function (line, sku) {
      qty += line.qty;
      var li = document.createElement('li');
      li.className = 'cart-line';
      li.setAttribute('data-sku', sku);

      var name = document.createElement('span');
      name.className = 'line-name';
      name.textContent = line.name + ' \u00d7 ' + line.qty;

      var price = document.createElement('span');
      price.className = 'line-price';
      price.textContent = money(line.cents * line.qty);

      var remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'remove';
      remove.textContent = 'Remove';
      remove.setAttribute('aria-label', 'Remove ' + line.name);

      li.append(name, price, remove);
      lines.push(li);
    });
    itemsEl.replaceChildren.apply(itemsEl, lines);

    // Detach the empty-state text rather than hiding it, so it is truly
    // absent from the page (and from any mirrored copy) while the cart has items.
    if (lines.length > 0) {
      emptyEl.remove();
    } else if (!emptyEl.isConnected) {
      itemsEl.after(emptyEl);
    }

    countEl.textContent = String(qty);
    renderTotals();
  }

  // One delegated listener per list instead of one per button.
  $('products').addEventListener('click', function (event) {
    var button = event.target.closest('.add-to-cart');
    if (!button) return;
    var product = button.closest('.product');
    var sku = product.getAttribute('data-sku');
    var line = cart.get(sku);
    if (line) {
      line.qty += 1;
    } else {
      cart.set(sku, {
        name: product.querySelector('h3').textContent.trim(),
        cents: toCents(product.getAttribute('data-price')),
        qty: 1,
      });
    }
    renderCart();
  });

  itemsEl.addEventListener('click', function (event) {
    var button = event.target.closest('.remove');
    if (!button) return;
    cart.delete(button.closest('.cart-line').getAttribute('data-sku'));
    renderCart();
  });

  shippingEl.addEventListener('change', renderTotals);

  // This is a demo: never navigate or send anything, just confirm inline.
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var name = $('name').value.trim() || 'there';
    statusEl.textContent = 'Thanks, ' + name + '! Your order is confirmed.';
  });

  renderCart();
})();
