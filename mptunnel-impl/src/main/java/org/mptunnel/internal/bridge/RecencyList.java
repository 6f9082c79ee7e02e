package org.mptunnel.internal.bridge;

/**
 * Items in order of their last use, least recent first: an intrusive doubly linked list whose
 * nodes belong to the items, so that marking an item used, removing it and finding the least
 * recent one cost O(1) and allocate nothing. Not thread-safe.
 *
 * @param <T> what the nodes carry
 */
final class RecencyList<T> {

    private Node<T> first;
    private Node<T> last;
    private int size;

    /** One item's place in one list; an item may be in several lists through several nodes. */
    static final class Node<T> {
        final T item;
        private Node<T> previous;
        private Node<T> next;
        private boolean linked;

        Node(T item) {
            this.item = item;
        }
    }

    /** Adds the node as the most recent, or moves it there if it is already in the list. */
    void markUsed(Node<T> node) {
        if (node.linked) {
            if (node == last) {
                return;
            }
            unlink(node);
        }
        node.previous = last;
        node.next = null;
        if (last == null) {
            first = node;
        } else {
            last.next = node;
        }
        last = node;
        node.linked = true;
        size++;
    }

    /** Takes the node out of the list; nothing happens if it is not in it. */
    void remove(Node<T> node) {
        if (node.linked) {
            unlink(node);
        }
    }

    /** @return the least recently used item, or null if the list is empty */
    T leastRecent() {
        return first == null ? null : first.item;
    }

    int size() {
        return size;
    }

    private void unlink(Node<T> node) {
        if (node.previous == null) {
            first = node.next;
        } else {
            node.previous.next = node.next;
        }
        if (node.next == null) {
            last = node.previous;
        } else {
            node.next.previous = node.previous;
        }
        node.previous = null;
        node.next = null;
        node.linked = false;
        size--;
    }
}
