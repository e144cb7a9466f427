// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/export.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_managed.h>
#include <drm/drm_pagemap.h>
#include <drm/drm_pagemap_util.h>
#include <drm/drm_print.h>

/**
 * DOC: Pagemap cache and shrinker
 *
 * Making a &struct drm_pagemap live costs its driver something (for
 * instance its &struct dev_pagemap), and a device's pagemap comes and goes
 * with its users.  A &struct drm_pagemap_cache keeps a device memory
 * region's pagemap when its last reference goes, on the list of a
 * &struct drm_pagemap_shrinker: the next lookup makes it live again
 * (drm_pagemap_reinit()), and memory pressure destroys it.  The cache and
 * the shrinker are device-managed; the cache must go after the DRM device
 * is unplugged (drm_dev_unplug(), as a driver's remove callback does):
 * from then on, a pagemap's last reference destroys it directly.
 *
 * A lookup is a locked sequence, so that racing lookups do not each make a
 * pagemap::
 *
 *	err = drm_pagemap_cache_lock_lookup(cache);
 *	if (err)
 *		return ERR_PTR(err);
 *	dpagemap = drm_pagemap_get_from_cache(cache);
 *	if (!dpagemap) {
 *		dpagemap = driver_pagemap_create();
 *		if (!IS_ERR(dpagemap))
 *			drm_pagemap_cache_set_pagemap(cache, dpagemap);
 *	}
 *	drm_pagemap_cache_unlock_lookup(cache);
 */

/**
 * DOC: Owners
 *
 * Devices joined by a fast interconnect can map each other's device
 * memory directly: hmm_range_fault() and migrate_vma_setup() leave a
 * device-private page in place for a caller whose owner is the page's
 * &dev_pagemap.owner.  Such devices therefore share one owner: each
 * pagemap (and each GPU VM) joins a &struct drm_pagemap_owner_list with
 * drm_pagemap_acquire_owner(), which puts it in the first group of peers
 * it has an interconnect with, all of them, or in a group of its own.
 */

#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)

/**
 * struct drm_pagemap_cache - the pagemap of one device memory region,
 *	kept while unused
 * @lookup_mutex: makes a lookup, and the insertion that follows a failed
 *	lookup, a single step
 * @lock: protects @dpagemap
 * @shrinker: the shrinker the unused pagemap waits on
 * @dpagemap: the pagemap (not referenced: live, or released and cached),
 *	or NULL
 * @queued: completed once a released @dpagemap is on the shrinker's list
 *	(from then on a lookup may take it back)
 * @rcu: the cache is freed after a grace period: &drm_pagemap.cache is
 *	read under rcu_read_lock() by the release and the shrinker of a
 *	pagemap, which then take @lock and check it again
 */
struct drm_pagemap_cache {
	struct mutex lookup_mutex; /* see the kernel-doc above */
	spinlock_t lock; /* see the kernel-doc above */
	struct drm_pagemap_shrinker *shrinker;
	struct drm_pagemap *dpagemap;
	struct completion queued;
	struct rcu_head rcu;
};

/**
 * struct drm_pagemap_shrinker - destroys unused cached pagemaps under
 *	memory pressure
 * @drm: the DRM device
 * @lock: protects @dpagemaps (and &drm_pagemap.shrink_link)
 * @dpagemaps: the unused pagemaps, oldest first
 * @num_dpagemaps: how many there are
 * @shrink: the memory shrinker
 */
struct drm_pagemap_shrinker {
	struct drm_device *drm;
	spinlock_t lock; /* see the kernel-doc above */
	struct list_head dpagemaps;
	atomic_t num_dpagemaps;
	struct shrinker *shrink;
};

/*
 * Take a released pagemap of @cache off the shrinker list: false if it is
 * being destroyed.  Context: @cache's lock.
 */
static bool drm_pagemap_shrinker_cancel(struct drm_pagemap_cache *cache,
					struct drm_pagemap *dpagemap)
{
	struct drm_pagemap_shrinker *shrinker = cache->shrinker;
	bool queued;

	spin_lock(&shrinker->lock);
	queued = !list_empty(&dpagemap->shrink_link);
	if (queued) {
		list_del_init(&dpagemap->shrink_link);
		atomic_dec(&shrinker->num_dpagemaps);
	}
	spin_unlock(&shrinker->lock);
	return queued;
}

/*
 * The cache goes with its device.  A released pagemap in it is destroyed;
 * a live one (or one the shrinker is destroying) is let go: its
 * &drm_pagemap.cache is cleared, so that its last put destroys it without
 * the cache.
 */
static void drm_pagemap_cache_fini(void *arg)
{
	struct drm_pagemap_cache *cache = arg;
	struct drm_pagemap *dpagemap;

	spin_lock(&cache->lock);
	dpagemap = cache->dpagemap;
	cache->dpagemap = NULL;
	if (dpagemap) {
		WRITE_ONCE(dpagemap->cache, NULL);
		if (!drm_pagemap_shrinker_cancel(cache, dpagemap))
			dpagemap = NULL;
	}
	spin_unlock(&cache->lock);

	if (dpagemap)
		drm_pagemap_destroy(dpagemap, false);
	mutex_destroy(&cache->lookup_mutex);
	kfree_rcu(cache, rcu);
}

/**
 * drm_pagemap_cache_create_devm() - make a pagemap cache
 * @shrinker: the shrinker its unused pagemap waits on
 *
 * Device-managed (the shrinker's DRM device's parent): when the device
 * goes, an unused cached pagemap is destroyed; a live one is left to its
 * last reference.
 *
 * Return: the cache, or ERR_PTR(-ENOMEM).
 */
struct drm_pagemap_cache *drm_pagemap_cache_create_devm(struct drm_pagemap_shrinker *shrinker)
{
	struct drm_pagemap_cache *cache = kzalloc(sizeof(*cache), GFP_KERNEL);
	int err;

	if (!cache)
		return ERR_PTR(-ENOMEM);
	mutex_init(&cache->lookup_mutex);
	spin_lock_init(&cache->lock);
	cache->shrinker = shrinker;
	init_completion(&cache->queued);
	err = devm_add_action_or_reset(shrinker->drm->dev, drm_pagemap_cache_fini,
				       cache);
	return err ? ERR_PTR(err) : cache;
}
EXPORT_SYMBOL(drm_pagemap_cache_create_devm);

/**
 * drm_pagemap_cache_lock_lookup() - start a lookup
 * @cache: the cache
 *
 * Return: 0 with the lookup lock held, or -EINTR on a signal.
 */
int drm_pagemap_cache_lock_lookup(struct drm_pagemap_cache *cache)
{
	return mutex_lock_interruptible(&cache->lookup_mutex);
}
EXPORT_SYMBOL(drm_pagemap_cache_lock_lookup);

/**
 * drm_pagemap_cache_unlock_lookup() - end a lookup
 * @cache: the cache
 */
void drm_pagemap_cache_unlock_lookup(struct drm_pagemap_cache *cache)
{
	mutex_unlock(&cache->lookup_mutex);
}
EXPORT_SYMBOL(drm_pagemap_cache_unlock_lookup);

/**
 * drm_pagemap_get_from_cache() - the cached pagemap, live
 * @cache: the cache
 *
 * A live pagemap is returned with a new reference.  A released one is
 * taken off the shrinker list (waiting, if its release is under way,
 * until it is on it) and made live again.  If there is none, or the
 * shrinker is destroying it, the caller makes a new one and puts it in
 * with drm_pagemap_cache_set_pagemap().
 *
 * Context: the lookup lock (drm_pagemap_cache_lock_lookup()).
 * Return: the pagemap with a reference; NULL when there is none;
 * ERR_PTR(-ERESTARTSYS) on a signal, ERR_PTR(-ENOMEM).
 */
struct drm_pagemap *drm_pagemap_get_from_cache(struct drm_pagemap_cache *cache)
{
	struct drm_pagemap *dpagemap;
	int err;

	lockdep_assert_held(&cache->lookup_mutex);
	for (;;) {
		spin_lock(&cache->lock);
		dpagemap = cache->dpagemap;
		if (!dpagemap || drm_pagemap_get_unless_zero(dpagemap)) {
			spin_unlock(&cache->lock);
			return dpagemap;
		}
		if (try_wait_for_completion(&cache->queued))
			break;
		/* Released, not on the shrinker list yet. */
		spin_unlock(&cache->lock);
		err = wait_for_completion_interruptible(&cache->queued);
		if (err)
			return ERR_PTR(err);
	}

	cache->dpagemap = NULL;
	if (!drm_pagemap_shrinker_cancel(cache, dpagemap)) {
		/* The shrinker got it first. */
		spin_unlock(&cache->lock);
		return NULL;
	}
	spin_unlock(&cache->lock);

	err = drm_pagemap_reinit(dpagemap);
	if (err) {
		drm_pagemap_destroy(dpagemap, false);
		return ERR_PTR(err);
	}
	drm_pagemap_cache_set_pagemap(cache, dpagemap);
	return dpagemap;
}
EXPORT_SYMBOL(drm_pagemap_get_from_cache);

/**
 * drm_pagemap_cache_set_pagemap() - put a new pagemap in a cache
 * @cache: the cache, empty (drm_pagemap_get_from_cache() returned NULL)
 * @dpagemap: the pagemap, live
 *
 * Context: the lookup lock.
 */
void drm_pagemap_cache_set_pagemap(struct drm_pagemap_cache *cache, struct drm_pagemap *dpagemap)
{
	struct drm_pagemap *old;

	lockdep_assert_held(&cache->lookup_mutex);
	spin_lock(&cache->lock);
	WRITE_ONCE(dpagemap->cache, cache);
	old = cache->dpagemap;
	cache->dpagemap = dpagemap;
	reinit_completion(&cache->queued);
	spin_unlock(&cache->lock);
	drm_WARN(dpagemap->drm, old, "drm_pagemap: cache set while holding a pagemap\n");
}
EXPORT_SYMBOL(drm_pagemap_cache_set_pagemap);

/**
 * drm_pagemap_get_from_cache_if_active() - the cached pagemap, if live
 * @cache: the cache
 *
 * No lookup lock needed.
 *
 * Return: the pagemap with a new reference, or NULL when there is none or
 * it is released.
 */
struct drm_pagemap *drm_pagemap_get_from_cache_if_active(struct drm_pagemap_cache *cache)
{
	struct drm_pagemap *dpagemap;

	spin_lock(&cache->lock);
	dpagemap = drm_pagemap_get_unless_zero(cache->dpagemap);
	spin_unlock(&cache->lock);
	return dpagemap;
}
EXPORT_SYMBOL(drm_pagemap_get_from_cache_if_active);

#if IS_ENABLED(CONFIG_PROVE_LOCKING)
/**
 * drm_pagemap_shrinker_might_lock() - tell lockdep what a put may take
 * @dpagemap: the pagemap
 *
 * The last drm_pagemap_put() takes the cache's and the shrinker's locks of
 * a cached pagemap: say so at every put, not only at the last one.
 */
void drm_pagemap_shrinker_might_lock(struct drm_pagemap *dpagemap)
{
	struct drm_pagemap_cache *cache;

	rcu_read_lock();
	cache = READ_ONCE(dpagemap->cache);
	if (cache) {
		might_lock(&cache->lock);
		might_lock(&cache->shrinker->lock);
	}
	rcu_read_unlock();
}
#endif

/* Put a released pagemap on its cache's shrinker list.  Context: the cache's lock. */
static void drm_pagemap_shrinker_queue(struct drm_pagemap_cache *cache,
				       struct drm_pagemap *dpagemap)
{
	struct drm_pagemap_shrinker *shrinker = cache->shrinker;

	spin_lock(&shrinker->lock);
	list_add_tail(&dpagemap->shrink_link, &shrinker->dpagemaps);
	atomic_inc(&shrinker->num_dpagemaps);
	spin_unlock(&shrinker->lock);
	complete_all(&cache->queued);
}

/**
 * drm_pagemap_shrinker_add() - cache or destroy a released pagemap
 * @dpagemap: the pagemap, whose last reference just went
 *
 * A pagemap still in its cache, of a device that is still plugged, goes on
 * the shrinker's list; any other is taken out of its cache and destroyed.
 * For drm_pagemap_put() only.
 *
 * Context: any (atomic included).
 */
void drm_pagemap_shrinker_add(struct drm_pagemap *dpagemap)
{
	struct drm_pagemap_cache *cache;
	bool queued = false;
	int idx;

	rcu_read_lock();
	cache = READ_ONCE(dpagemap->cache);
	if (cache) {
		bool plugged = drm_dev_enter(dpagemap->drm, &idx);

		spin_lock(&cache->lock);
		if (dpagemap->cache == cache) {
			if (plugged) {
				drm_pagemap_shrinker_queue(cache, dpagemap);
				queued = true;
			} else {
				/* Destroyed: a lookup waiting for it finds none. */
				if (cache->dpagemap == dpagemap)
					cache->dpagemap = NULL;
				complete_all(&cache->queued);
			}
		}
		spin_unlock(&cache->lock);
		if (plugged)
			drm_dev_exit(idx);
	}
	rcu_read_unlock();

	if (!queued)
		drm_pagemap_destroy(dpagemap, true);
}

static unsigned long drm_pagemap_shrinker_count(struct shrinker *shrink,
						struct shrink_control *sc)
{
	struct drm_pagemap_shrinker *shrinker = shrink->private_data;

	return atomic_read(&shrinker->num_dpagemaps) ?: SHRINK_EMPTY;
}

static unsigned long drm_pagemap_shrinker_scan(struct shrinker *shrink,
					       struct shrink_control *sc)
{
	struct drm_pagemap_shrinker *shrinker = shrink->private_data;
	unsigned long freed = 0;

	while (freed < sc->nr_to_scan) {
		struct drm_pagemap_cache *cache;
		struct drm_pagemap *dpagemap;

		spin_lock(&shrinker->lock);
		dpagemap = list_first_entry_or_null(&shrinker->dpagemaps,
						    struct drm_pagemap,
						    shrink_link);
		if (dpagemap) {
			list_del_init(&dpagemap->shrink_link);
			atomic_dec(&shrinker->num_dpagemaps);
		}
		spin_unlock(&shrinker->lock);
		if (!dpagemap)
			break;

		/* Out of its cache, unless a lookup replaced it already. */
		rcu_read_lock();
		cache = READ_ONCE(dpagemap->cache);
		if (cache) {
			spin_lock(&cache->lock);
			if (cache->dpagemap == dpagemap)
				cache->dpagemap = NULL;
			spin_unlock(&cache->lock);
		}
		rcu_read_unlock();
		drm_pagemap_destroy(dpagemap, true);
		freed++;
	}
	sc->nr_scanned = freed;
	return freed ?: SHRINK_STOP;
}

static void drm_pagemap_shrinker_fini(void *arg)
{
	struct drm_pagemap_shrinker *shrinker = arg;

	drm_WARN(shrinker->drm, atomic_read(&shrinker->num_dpagemaps),
		 "drm_pagemap: %d cached pagemaps outlive their shrinker\n",
		 atomic_read(&shrinker->num_dpagemaps));
	shrinker_free(shrinker->shrink);
	kfree(shrinker);
}

/**
 * drm_pagemap_shrinker_create_devm() - make the pagemap shrinker of a device
 * @drm: the DRM device
 *
 * Registers a memory shrinker that destroys unused cached pagemaps;
 * device-managed (@drm's parent device).  Create it before the caches
 * that use it.
 *
 * Return: the shrinker, or ERR_PTR(-ENOMEM).
 */
struct drm_pagemap_shrinker *drm_pagemap_shrinker_create_devm(struct drm_device *drm)
{
	struct drm_pagemap_shrinker *shrinker;
	int err;

	shrinker = kzalloc(sizeof(*shrinker), GFP_KERNEL);
	if (!shrinker)
		return ERR_PTR(-ENOMEM);
	shrinker->shrink = shrinker_alloc(0, "drm-drm_pagemap:%s",
					  drm->unique ?: "?");
	if (!shrinker->shrink) {
		kfree(shrinker);
		return ERR_PTR(-ENOMEM);
	}
	shrinker->drm = drm;
	spin_lock_init(&shrinker->lock);
	INIT_LIST_HEAD(&shrinker->dpagemaps);
	shrinker->shrink->count_objects = drm_pagemap_shrinker_count;
	shrinker->shrink->scan_objects = drm_pagemap_shrinker_scan;
	shrinker->shrink->private_data = shrinker;
	shrinker_register(shrinker->shrink);

	err = devm_add_action_or_reset(drm->dev, drm_pagemap_shrinker_fini,
				       shrinker);
	return err ? ERR_PTR(err) : shrinker;
}
EXPORT_SYMBOL(drm_pagemap_shrinker_create_devm);

#endif /* IS_ENABLED(CONFIG_DEVICE_PRIVATE) */

/**
 * struct drm_pagemap_owner - the device-private page owner of a group of
 *	peers
 * @kref: one reference per peer in the group
 */
struct drm_pagemap_owner {
	struct kref kref;
};

static void drm_pagemap_owner_release(struct kref *kref)
{
	kfree(container_of(kref, struct drm_pagemap_owner, kref));
}

/**
 * drm_pagemap_release_owner() - leave an interconnect group
 * @peer: the peer, joined with drm_pagemap_acquire_owner() (or never, or
 *	released already: then nothing happens)
 *
 * The owner goes with the group's last peer.
 */
void drm_pagemap_release_owner(struct drm_pagemap_peer *peer)
{
	struct drm_pagemap_owner_list *list = peer->list;

	if (!list)
		return;
	mutex_lock(&list->lock);
	list_del(&peer->link);
	kref_put(&peer->owner->kref, drm_pagemap_owner_release);
	peer->owner = NULL;
	peer->list = NULL;
	mutex_unlock(&list->lock);
}
EXPORT_SYMBOL(drm_pagemap_release_owner);

/*
 * Does @peer have an interconnect with every member of the group that
 * starts at @first?  *@last is set to the group's last member.
 */
static bool drm_pagemap_group_joinable(struct drm_pagemap_owner_list *list,
				       struct drm_pagemap_peer *first,
				       struct drm_pagemap_peer *peer,
				       bool (*has_interconnect)(struct drm_pagemap_peer *,
								struct drm_pagemap_peer *),
				       struct drm_pagemap_peer **last)
{
	struct drm_pagemap_peer *p = first;
	bool all = true;

	list_for_each_entry_from(p, &list->peers, link) {
		if (p->owner != first->owner)
			break;
		if (all && !has_interconnect(peer, p))
			all = false;
		*last = p;
	}
	return all;
}

/**
 * drm_pagemap_acquire_owner() - join an interconnect group
 * @peer: the peer joining (not in a group)
 * @owner_list: where the groups are
 * @has_interconnect: whether two peers share a fast interconnect; must be
 *	symmetric; called with @owner_list's lock held
 *
 * @peer joins the first group with every member of which it has an
 * interconnect, and shares its owner; otherwise it starts a group of its
 * own, with a new owner.  Leave with drm_pagemap_release_owner().
 *
 * Context: process context; takes @owner_list's lock.
 * Return: 0 (&drm_pagemap_peer.owner is set), or -ENOMEM.
 */
int drm_pagemap_acquire_owner(struct drm_pagemap_peer *peer,
			      struct drm_pagemap_owner_list *owner_list,
			      bool (*has_interconnect)(struct drm_pagemap_peer *peer1,
						       struct drm_pagemap_peer *peer2))
{
	struct drm_pagemap_peer *first, *last = NULL;

	mutex_lock(&owner_list->lock);
	might_alloc(GFP_KERNEL);
	first = list_first_entry_or_null(&owner_list->peers,
					 struct drm_pagemap_peer, link);
	while (first) {
		if (drm_pagemap_group_joinable(owner_list, first, peer,
					       has_interconnect, &last)) {
			kref_get(&first->owner->kref);
			peer->owner = first->owner;
			list_add(&peer->link, &last->link);
			goto out;
		}
		first = list_is_last(&last->link, &owner_list->peers) ? NULL :
			list_next_entry(last, link);
	}

	peer->owner = kmalloc(sizeof(*peer->owner), GFP_KERNEL);
	if (!peer->owner) {
		mutex_unlock(&owner_list->lock);
		return -ENOMEM;
	}
	kref_init(&peer->owner->kref);
	list_add_tail(&peer->link, &owner_list->peers);
out:
	peer->list = owner_list;
	mutex_unlock(&owner_list->lock);
	return 0;
}
EXPORT_SYMBOL(drm_pagemap_acquire_owner);
