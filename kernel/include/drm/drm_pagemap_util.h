/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _DRM_PAGEMAP_UTIL_H_
#define _DRM_PAGEMAP_UTIL_H_

#include <linux/err.h>
#include <linux/list.h>
#include <linux/mutex.h>

struct drm_device;
struct drm_pagemap;
struct drm_pagemap_cache;
struct drm_pagemap_owner;
struct drm_pagemap_shrinker;

/**
 * struct drm_pagemap_peer - a participant in a group of devices sharing a
 *	fast interconnect
 * @list: the &struct drm_pagemap_owner_list it joined, NULL before
 * @link: in the list's peers, next to the peers of the same owner
 * @owner: the owner common to the group: the device-private page owner
 *	(&dev_pagemap.owner, &drm_gpusvm_ctx.device_private_page_owner) of
 *	every peer in it; referenced
 * @private: for the structure that embeds the peer
 *
 * Embedded in a driver's pagemap, and in its GPU VMs, which join the
 * group of their device with drm_pagemap_acquire_owner().
 */
struct drm_pagemap_peer {
	struct drm_pagemap_owner_list *list;
	struct list_head link;
	struct drm_pagemap_owner *owner;
	void *private;
};

/**
 * struct drm_pagemap_owner_list - where peers find their group
 *
 * Usually one per driver (DRM_PAGEMAP_OWNER_LIST_DEFINE()).
 */
struct drm_pagemap_owner_list {
	/** @lock: protects @peers and the peers' owners. */
	struct mutex lock;
	/** @peers: the peers, those of one owner next to each other. */
	struct list_head peers;
};

/**
 * DRM_PAGEMAP_OWNER_LIST_DEFINE() - define an empty owner list
 * @_name: the variable's name
 */
#define DRM_PAGEMAP_OWNER_LIST_DEFINE(_name)	\
	struct drm_pagemap_owner_list _name = {	\
	  .lock = __MUTEX_INITIALIZER((_name).lock),	\
	  .peers = LIST_HEAD_INIT((_name).peers) }

#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)

void drm_pagemap_shrinker_add(struct drm_pagemap *dpagemap);

int drm_pagemap_cache_lock_lookup(struct drm_pagemap_cache *cache);

void drm_pagemap_cache_unlock_lookup(struct drm_pagemap_cache *cache);

struct drm_pagemap_shrinker *drm_pagemap_shrinker_create_devm(struct drm_device *drm);

struct drm_pagemap_cache *drm_pagemap_cache_create_devm(struct drm_pagemap_shrinker *shrinker);

struct drm_pagemap *drm_pagemap_get_from_cache(struct drm_pagemap_cache *cache);

void drm_pagemap_cache_set_pagemap(struct drm_pagemap_cache *cache, struct drm_pagemap *dpagemap);

struct drm_pagemap *drm_pagemap_get_from_cache_if_active(struct drm_pagemap_cache *cache);

#else

/*
 * Without CONFIG_DEVICE_PRIVATE there is no pagemap to cache: no cache or
 * shrinker can be made, and lookups find nothing.
 */

/**
 * drm_pagemap_shrinker_add() - without device memory: no pagemap to add
 * @dpagemap: the pagemap
 */
static inline void drm_pagemap_shrinker_add(struct drm_pagemap *dpagemap)
{
}

/**
 * drm_pagemap_cache_lock_lookup() - without device memory: no cache
 * @cache: the cache
 *
 * Return: -EOPNOTSUPP.
 */
static inline int drm_pagemap_cache_lock_lookup(struct drm_pagemap_cache *cache)
{
	return -EOPNOTSUPP;
}

/**
 * drm_pagemap_cache_unlock_lookup() - without device memory: no cache
 * @cache: the cache
 */
static inline void drm_pagemap_cache_unlock_lookup(struct drm_pagemap_cache *cache)
{
}

/**
 * drm_pagemap_shrinker_create_devm() - without device memory: no shrinker
 * @drm: the DRM device
 *
 * Return: ERR_PTR(-EOPNOTSUPP).
 */
static inline struct drm_pagemap_shrinker *
drm_pagemap_shrinker_create_devm(struct drm_device *drm)
{
	return ERR_PTR(-EOPNOTSUPP);
}

/**
 * drm_pagemap_cache_create_devm() - without device memory: no cache
 * @shrinker: the shrinker
 *
 * Return: ERR_PTR(-EOPNOTSUPP).
 */
static inline struct drm_pagemap_cache *
drm_pagemap_cache_create_devm(struct drm_pagemap_shrinker *shrinker)
{
	return ERR_PTR(-EOPNOTSUPP);
}

/**
 * drm_pagemap_get_from_cache() - without device memory: nothing cached
 * @cache: the cache
 *
 * Return: NULL.
 */
static inline struct drm_pagemap *drm_pagemap_get_from_cache(struct drm_pagemap_cache *cache)
{
	return NULL;
}

/**
 * drm_pagemap_cache_set_pagemap() - without device memory: no cache
 * @cache: the cache
 * @dpagemap: the pagemap
 */
static inline void drm_pagemap_cache_set_pagemap(struct drm_pagemap_cache *cache,
						 struct drm_pagemap *dpagemap)
{
}

/**
 * drm_pagemap_get_from_cache_if_active() - without device memory: nothing
 *	cached
 * @cache: the cache
 *
 * Return: NULL.
 */
static inline struct drm_pagemap *
drm_pagemap_get_from_cache_if_active(struct drm_pagemap_cache *cache)
{
	return NULL;
}

#endif /* IS_ENABLED(CONFIG_DEVICE_PRIVATE) */

#if IS_ENABLED(CONFIG_DEVICE_PRIVATE) && IS_ENABLED(CONFIG_PROVE_LOCKING)

void drm_pagemap_shrinker_might_lock(struct drm_pagemap *dpagemap);

#else

/**
 * drm_pagemap_shrinker_might_lock() - tell lockdep what a put may take
 * @dpagemap: the pagemap
 */
static inline void drm_pagemap_shrinker_might_lock(struct drm_pagemap *dpagemap)
{
}

#endif

void drm_pagemap_release_owner(struct drm_pagemap_peer *peer);

int drm_pagemap_acquire_owner(struct drm_pagemap_peer *peer,
			      struct drm_pagemap_owner_list *owner_list,
			      bool (*has_interconnect)(struct drm_pagemap_peer *peer1,
						       struct drm_pagemap_peer *peer2));

#endif
